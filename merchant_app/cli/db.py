"""``marketpay db upgrade``: apply the Alembic migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from merchant_app.database import check_database, make_engine
from merchant_app.migrate import upgrade_to_head
from merchant_app.settings import ensure_data_dir, load_settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database schema up to date (Alembic migrations)."""
    settings = load_settings()
    ensure_data_dir(settings)
    engine = make_engine(settings.effective_database_url)
    check_database(engine)
    revision = upgrade_to_head(engine)
    Console(stderr=True).print(f"database at revision [bold]{revision}[/bold]")
    engine.dispose()
