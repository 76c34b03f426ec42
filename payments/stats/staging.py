"""One pass over the raw records into small per-market, per-day staging tables.

Every summary (4 levels × 3 periods) is then aggregated from these instead of from the
payments: the raw tables are each read once per refresh, whatever the number of summaries.
Order statistics stay exact because the staging keeps *histograms* (value, count) rather
than averages: tickets are whole thousands of đồng and latencies whole milliseconds, so a
market-day has few distinct values. Payers are kept per market-day with their payment count,
which is what unique and repeat payers need at any coarser level.

The tables are TEMPORARY: private to the refreshing connection, dropped when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
    text,
)

from payments.stats.sources import Sources
from payments.stats.sql import Period, Rows, elapsed_ms, period_start

DAY_CHARS = 10  # 'YYYY-MM-DD'
PAYER_KEY_MAX_CHARS = 40


@dataclass(frozen=True)
class Staged:
    vendor_days: Table  # market_id, day, vendor_id (distinct)
    tickets: Table  # market_id, day, amount_dong, n
    payers: Table  # market_id, day, payer_key, n
    latencies: Table  # market_id, day, latency_ms, n
    attempts: Table  # market_id, day, attempts, failures, timeouts
    cash: Table | None  # market_id, day, sales, value_dong


def _tables(with_cash: bool) -> Staged:
    metadata = MetaData()

    def temp(name: str, *columns: Column[object]) -> Table:
        return Table(
            name,
            metadata,
            Column("market_id", Integer, nullable=False),
            Column("day", String(DAY_CHARS), nullable=False),
            *columns,
            prefixes=["TEMPORARY"],
        )

    return Staged(
        vendor_days=temp("stat_stage_vendor_days", Column("vendor_id", Integer)),
        tickets=temp("stat_stage_tickets", Column("amount_dong", BigInteger), Column("n", Integer)),
        payers=temp(
            "stat_stage_payers",
            Column("payer_key", String(PAYER_KEY_MAX_CHARS)),
            Column("n", Integer),
        ),
        latencies=temp("stat_stage_latencies", Column("latency_ms", Float), Column("n", Integer)),
        attempts=temp(
            "stat_stage_attempts",
            Column("attempts", Integer),
            Column("failures", Integer),
            Column("timeouts", Integer),
        ),
        cash=temp("stat_stage_cash", Column("sales", Integer), Column("value_dong", BigInteger))
        if with_cash
        else None,
    )


def _dated(source: Rows, dialect: str, lo: datetime, hi: datetime) -> Rows:
    """``source`` rows inside [lo, hi) with their local day."""
    rows = source.subquery()
    return select(rows, period_start(rows.c.at, Period.DAY, dialect).label("day")).where(
        rows.c.at >= lo, rows.c.at < hi
    )


@contextmanager
def staged(
    connection: Connection, sources: Sources, lo: datetime, hi: datetime
) -> Iterator[Staged]:
    """Fill the staging tables from ``sources`` for [lo, hi); drop them afterwards."""
    dialect = connection.dialect.name
    stage = _tables(sources.cash is not None)
    created = [t for t in stage.__dict__.values() if t is not None]
    for table in created:
        table.create(connection)
    try:
        _fill(connection, stage, sources, dialect, lo, hi)
        # Autovacuum never sees TEMPORARY tables: without statistics PostgreSQL plans the
        # twelve summaries over them blind.
        for table in created:
            connection.execute(text(f"ANALYZE {table.name}"))
        yield stage
    finally:
        for table in reversed(created):
            table.drop(connection)


def _fill(
    connection: Connection,
    stage: Staged,
    sources: Sources,
    dialect: str,
    lo: datetime,
    hi: datetime,
) -> None:
    receipts = _dated(sources.receipts, dialect, lo, hi).subquery()
    keys = (receipts.c.market_id, receipts.c.day)
    connection.execute(
        stage.vendor_days.insert().from_select(
            ["market_id", "day", "vendor_id"],
            select(*keys, receipts.c.vendor_id).distinct(),
        )
    )
    connection.execute(
        stage.tickets.insert().from_select(
            ["market_id", "day", "amount_dong", "n"],
            select(*keys, receipts.c.amount_dong, func.count()).group_by(
                *keys, receipts.c.amount_dong
            ),
        )
    )
    payer_rows = sources.payers.subquery()
    connection.execute(
        stage.payers.insert().from_select(
            ["market_id", "day", "payer_key", "n"],
            select(*keys, payer_rows.c.payer_key, func.count())
            .join_from(
                receipts,
                payer_rows,
                payer_rows.c.client_transfer_id == receipts.c.client_transfer_id,
            )
            .group_by(*keys, payer_rows.c.payer_key),
        )
    )
    notices = _dated(sources.notices, dialect, lo, hi).subquery()
    latency = elapsed_ms(notices.c.at, notices.c.seen_at, dialect)
    connection.execute(
        stage.latencies.insert().from_select(
            ["market_id", "day", "latency_ms", "n"],
            select(notices.c.market_id, notices.c.day, latency, func.count()).group_by(
                notices.c.market_id, notices.c.day, latency
            ),
        )
    )
    attempts = _dated(sources.attempts, dialect, lo, hi).subquery()
    connection.execute(
        stage.attempts.insert().from_select(
            ["market_id", "day", "attempts", "failures", "timeouts"],
            select(
                attempts.c.market_id,
                attempts.c.day,
                func.count(),
                func.sum(attempts.c.failed),
                func.sum(attempts.c.timed_out),
            ).group_by(attempts.c.market_id, attempts.c.day),
        )
    )
    if stage.cash is not None and sources.cash is not None:
        cash = _dated(sources.cash, dialect, lo, hi).subquery()
        connection.execute(stage.cash.insert().from_select(
            ["market_id", "day", "sales", "value_dong"],
            select(cash.c.market_id, cash.c.day, func.sum(cash.c.sales),
                   func.sum(cash.c.value_dong))
            .group_by(cash.c.market_id, cash.c.day),
        ))  # fmt: skip
