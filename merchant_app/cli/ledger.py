"""``marketpay ledger verify [--json]``: check every ledger invariant and the hash chain.

Exit 0 when all hold; exit 1 naming the first broken item (``--json`` lists all of them).
"""

from __future__ import annotations

import json

import typer

from ledger import Ledger
from merchant_app.clock import SystemClock
from merchant_app.database import check_database, make_engine
from merchant_app.settings import load_settings

app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)


@app.command("verify")
def verify(
    as_json: bool = typer.Option(False, "--json", help="Print every violation as JSON."),
) -> int:
    """Check balances, debits = credits, flagged limits, pending state and the hash chain."""
    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        check_database(engine)
        violations = Ledger(engine, clock=SystemClock().now).verify()
    finally:
        engine.dispose()
    if as_json:
        items = [{"check": v.check, "item": v.item, "message": v.message} for v in violations]
        typer.echo(json.dumps({"ok": not violations, "violations": items}, ensure_ascii=False))
    elif violations:
        typer.echo(f"ledger verify: FAILED ({len(violations)} violations); first: {violations[0]}")
    else:
        typer.echo("ledger verify: ok")
    return 1 if violations else 0
