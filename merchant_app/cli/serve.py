"""``marketpay serve`` and ``marketpay settings``."""

from __future__ import annotations

import json

import typer
import uvicorn
from rich.console import Console

from merchant_app.database import check_database, make_engine
from merchant_app.settings import load_settings, with_secrets

SHUTDOWN_GRACE_S = 5


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("settings")(show_settings)


def serve(
    host: str | None = typer.Option(None, help="Address to bind (default MARKETPAY_HOST)."),
    port: int | None = typer.Option(None, help="Port (default MARKETPAY_PORT)."),
) -> None:
    """Serve the API and pages with uvicorn."""
    from merchant_app.app import create_app

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = with_secrets(load_settings(**overrides))
    engine = make_engine(settings.effective_database_url)
    check_database(engine)
    engine.dispose()
    Console(stderr=True).print(
        f"MarketPay serving on [bold]http://{settings.host}:{settings.port}/[/bold] "
        f"(API docs at /docs)"
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # Live feeds (SSE) never finish on their own; without a bound, stopping the server
        # would wait for every open vendor page. Browsers reconnect with Last-Event-ID.
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )


def show_settings(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print the effective settings, secrets masked."""
    masked = load_settings().masked()
    if as_json:
        typer.echo(json.dumps(masked, indent=2))
        return
    for key, value in masked.items():
        typer.echo(f"MARKETPAY_{key.upper()}={value}")
