"""What a killed simulation needs to go on: the run row's options, progress and database rows.

The engine commits each simulated day in one transaction together with the run row's
``days_done`` and ``progress_json`` (the report's running totals, the simulated clock, the
camera counters). A resume reads them back here, refuses a run started with other options
(``ResumeMismatch``), and reloads the directory ids (markets, vendors, receiving accounts) the
day loop works with. On PostgreSQL it also winds the id sequences back (``realign_sequences``).
The pure world model is replayed by the engine, not stored: it is derived from (seed, market,
purpose, day) alone (world.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select, text

from payments.directory import ReceivingAccount, receiving_accounts_of
from payments.simulation.scenario import Scenario, ScenarioError
from payments.simulation.setup import MarketRows
from payments.simulation.tables import runs, sim_markets
from payments.tables import communes, districts, markets, receiving_accounts, vendors

MARKET_KEYS_SEPARATOR = ","


class ResumeMismatch(ScenarioError):
    """``--resume`` with options other than the stored run's; the message names them."""

    code = "resume_mismatch"


@dataclass(frozen=True)
class RunOptions:
    """Everything that shapes a run's rows and report; a resume must repeat all of it."""

    scenario: str
    scenario_sha256: str
    seed: int
    start_date: date
    days: int
    mode: str
    scale: float
    slot_minutes: int
    markets: str  # the simulated market keys, comma-separated, in scenario order

    def row(self) -> dict[str, Any]:
        return asdict(self)


def scenario_digest(scenario: Scenario) -> str:
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()


@dataclass(frozen=True)
class StoredRun:
    run_id: int
    status: str
    days_done: int
    progress: dict[str, Any] | None
    report: dict[str, Any] | None


def latest_run(connection: Connection, wanted: RunOptions) -> StoredRun | None:
    """The database's latest run, checked against ``wanted``; None if it holds no run."""
    run_id = connection.scalar(select(func.max(runs.c.id)))
    if run_id is None:
        return None
    row = connection.execute(select(runs).where(runs.c.id == run_id)).one()
    differences = [
        f"{name} {value!r} (run {run_id} has {getattr(row, name)!r})"
        for name, value in wanted.row().items()
        if getattr(row, name) != value
    ]
    if differences:
        raise ResumeMismatch(
            f"cannot resume simulation run {run_id} with other options: " + "; ".join(differences)
        )
    return StoredRun(
        run_id=int(run_id),
        status=str(row.status),
        days_done=int(row.days_done),
        progress=None if row.progress_json is None else json.loads(row.progress_json),
        report=None if row.report_json is None else json.loads(row.report_json),
    )


def load_rows(connection: Connection, run_id: int) -> dict[str, MarketRows]:
    """Each simulated market's directory ids, vendors in stall order, accounts in link order."""
    found = connection.execute(
        select(sim_markets.c.market_key, sim_markets.c.market_id, districts.c.name)
        .join(markets, markets.c.id == sim_markets.c.market_id)
        .join(communes, communes.c.id == markets.c.commune_id)
        .join(districts, districts.c.id == communes.c.district_id)
        .where(sim_markets.c.run_id == run_id)
    ).all()
    rows: dict[str, MarketRows] = {}
    for key, market_id, city in found:
        vendor_ids = [
            int(v)
            for v in connection.scalars(
                select(vendors.c.id).where(vendors.c.market_id == market_id).order_by(vendors.c.id)
            )
        ]
        rows[str(key)] = MarketRows(int(market_id), str(city), vendor_ids)
        _load_accounts(connection, rows[str(key)])
    return rows


def _load_accounts(connection: Connection, market: MarketRows) -> None:
    index_of = {vendor_id: index for index, vendor_id in enumerate(market.vendor_ids)}
    linked = connection.scalars(
        select(receiving_accounts.c.vendor_id)
        .where(receiving_accounts.c.vendor_id.in_(market.vendor_ids))
        .distinct()
    ).all()
    for vendor_id in sorted(int(v) for v in linked):
        accounts: list[ReceivingAccount] = receiving_accounts_of(connection, vendor_id)
        market.accounts[index_of[vendor_id]] = accounts


def clock_from(progress: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(progress["clock"]))


_SEQUENCED_COLUMNS = text(
    "SELECT table_name, column_name FROM information_schema.columns"
    " WHERE table_schema = current_schema()"
    " AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')"
    " ORDER BY table_name, column_name"
)


def realign_sequences(connection: Connection) -> int:
    """PostgreSQL sequences are not transactional: the inserts of a killed day used up ids that
    its redo would otherwise get. Set each sequence of the schema to its column's MAX + 1, so a
    resumed run numbers its rows as an uninterrupted one does (the simulation is the only
    writer of its database: ``marketpay simulate`` refuses a database holding anything else).
    Returns how many sequences were set; SQLite ids come from MAX(rowid) already."""
    if connection.dialect.name != "postgresql":
        return 0
    columns = connection.execute(_SEQUENCED_COLUMNS).all()
    for table, column in columns:
        # Names come from the catalog, not from input; quoted as identifiers all the same.
        table_sql = '"' + str(table).replace('"', '""') + '"'
        column_sql = '"' + str(column).replace('"', '""') + '"'
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, :column),"
                f" COALESCE((SELECT MAX({column_sql}) FROM {table_sql}), 0) + 1, false)"
            ),
            {"table": table_sql, "column": str(column)},
        )
    return len(columns)
