"""Every package's table metadata, for Alembic and for test fixtures.

Each package that owns tables exposes one SQLAlchemy ``MetaData``; they are listed here (the
composition root) so that nothing below ``merchant_app`` needs to know about the others.
"""

from __future__ import annotations

from sqlalchemy import MetaData


def all_metadata() -> list[MetaData]:
    # Imported here so that importing merchant_app.schema stays cheap for the CLI.
    from ledger.tables import metadata as ledger_metadata
    from merchant_app.users.tables import metadata as users_metadata
    from payments.reconciliation.tables import metadata as reconciliation_metadata
    from payments.simulation.tables import metadata as simulation_metadata
    from payments.stats.tables import metadata as stats_metadata
    from payments.tables import metadata as payments_metadata

    return [
        ledger_metadata,
        payments_metadata,
        users_metadata,
        reconciliation_metadata,
        stats_metadata,
        simulation_metadata,
    ]


def create_all(engine: object) -> None:
    """Create every table directly (tests); production uses ``marketpay db upgrade``."""
    for metadata in all_metadata():
        metadata.create_all(engine)  # type: ignore[arg-type]
