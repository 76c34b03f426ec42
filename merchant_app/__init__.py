"""merchant_app."""
