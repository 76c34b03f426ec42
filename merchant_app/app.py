"""The FastAPI application factory (composition root for the web face)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from merchant_app.api import health
from merchant_app.api import ledger as ledger_api
from merchant_app.api import payments as payments_api
from merchant_app.api import qr as qr_api
from merchant_app.api import reconciliation as reconciliation_api
from merchant_app.api import stats as stats_api
from merchant_app.api import switch as switch_api
from merchant_app.api.docs import install_docs
from merchant_app.clock import SystemClock
from merchant_app.database import make_engine
from merchant_app.errors import install_error_handlers
from merchant_app.limits import BodyLimit
from merchant_app.pages import install_pages
from merchant_app.settings import Settings, load_settings, with_secrets
from merchant_app.wiring import build_payments


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The engine lives in the lifespan state, never in a module global."""
    resolved = with_secrets(settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(resolved.effective_database_url)
        app.state.engine = engine
        # One payments world per process: rate limits and the feed bus live in it.
        app.state.payments = build_payments(
            engine, getattr(app.state, "clock", None) or SystemClock()
        )
        try:
            yield
        finally:
            app.state.payments.close()
            engine.dispose()

    app = FastAPI(
        title="MarketPay",
        version="0.1.0",
        summary="VietQR payments for rural markets",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    app.state.settings = resolved
    install_error_handlers(app)
    install_pages(app, resolved)
    app.include_router(health.router)
    app.include_router(ledger_api.router)
    app.include_router(qr_api.router)
    app.include_router(stats_api.router)
    app.include_router(reconciliation_api.router)
    app.include_router(payments_api.router)
    app.include_router(switch_api.router)
    # Outermost: an oversized body is refused before sessions, routes or parsers see it.
    app.add_middleware(BodyLimit)
    return app
