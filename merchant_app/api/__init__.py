"""JSON API routers (under /api/v1) and the health check."""
