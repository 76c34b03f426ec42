"""The reliability tests reuse the page tests' small market world (two vendors, a paid request)."""

from tests.merchant_app.pages.conftest import site, world

__all__ = ["site", "world"]
