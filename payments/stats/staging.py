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

from collections.abc import Iterator, Sequence
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

from payments.stats.payers import fill_payer_counts, payer_counts_table
from payments.stats.sources import Level, Sources, market_units
from payments.stats.sql import Period, Rows, elapsed_ms, period_of_day, period_start

DAY_CHARS = 10  # 'YYYY-MM-DD'
PAYER_KEY_MAX_CHARS = 40


@dataclass(frozen=True)
class Staged:
    vendor_days: Table  # market_id, day, vendor_id (distinct)
    tickets: Table  # market_id, day, amount_dong, n
    payers: Table  # market_id, day, payer_key, n, commune_id, district_id, week, month
    latencies: Table  # market_id, day, latency_ms, n
    attempts: Table  # market_id, day, attempts, failures, timeouts
    cash: Table | None  # market_id, day, sales, value_dong
    payer_counts: Table  # level, period, unit_id, period_start, unique_payers, repeat_payers


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
        # The market's commune and district and the day's week and month are stored once here,
        # so the payer counts of every level and period (payers.py) group plain columns.
        payers=temp(
            "stat_stage_payers",
            Column("payer_key", String(PAYER_KEY_MAX_CHARS)),
            Column("n", Integer),
            Column("commune_id", Integer),
            Column("district_id", Integer),
            Column("week", String(DAY_CHARS)),
            Column("month", String(DAY_CHARS)),
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
        payer_counts=payer_counts_table(metadata),
    )


def _dated(source: Rows, dialect: str, lo: datetime, hi: datetime) -> Rows:
    """``source`` rows inside [lo, hi) with their local day."""
    rows = source.subquery()
    return select(rows, period_start(rows.c.at, Period.DAY, dialect).label("day")).where(
        rows.c.at >= lo, rows.c.at < hi
    )


@contextmanager
def staged(
    connection: Connection,
    sources: Sources,
    lo: datetime,
    hi: datetime,
    *,
    levels: Sequence[Level] = tuple(Level),
    periods: Sequence[Period] = tuple(Period),
) -> Iterator[Staged]:
    """Fill the staging tables from ``sources`` for [lo, hi), with the payer counts of each
    level × period; drop them afterwards."""
    dialect = connection.dialect.name
    stage = _tables(sources.cash is not None)
    created = [t for t in stage.__dict__.values() if t is not None]
    for table in created:
        table.create(connection)
    try:
        _fill(connection, stage, sources, dialect, lo, hi)
        # Autovacuum never sees TEMPORARY tables: without statistics PostgreSQL plans the
        # payer counts and the twelve summaries over them blind.
        for table in created:
            if table is not stage.payer_counts:
                connection.execute(text(f"ANALYZE {table.name}"))
        fill_payer_counts(connection, stage.payers, stage.payer_counts, levels, periods)
        connection.execute(text(f"ANALYZE {stage.payer_counts.name}"))
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
    mapping = market_units().subquery()
    per_payer_day = (
        select(*keys, payer_rows.c.payer_key, func.count().label("n"))
        .join_from(
            receipts,
            payer_rows,
            payer_rows.c.client_transfer_id == receipts.c.client_transfer_id,
        )
        .group_by(*keys, payer_rows.c.payer_key)
        .subquery()
    )
    connection.execute(
        stage.payers.insert().from_select(
            ["market_id", "day", "payer_key", "n", "commune_id", "district_id", "week", "month"],
            select(
                per_payer_day,
                mapping.c.commune_id,
                mapping.c.district_id,
                period_of_day(per_payer_day.c.day, Period.WEEK, dialect),
                period_of_day(per_payer_day.c.day, Period.MONTH, dialect),
            ).join_from(per_payer_day, mapping, mapping.c.market_id == per_payer_day.c.market_id),
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
