"""Recompute the adoption summary rows inside the database: INSERT ... SELECT, no rows in Python.

First one pass over the raw records fills small per-market, per-day staging tables
(``staging.py``); then for each level (market, commune, district, province) and period (day,
week, month) the frame is every unit × every period overlapping the requested dates, and each
measure is a grouped subquery over the staging tables LEFT JOINed onto that frame, so a market
with no activity still gets a row of zeros. Refreshing a range deletes that range's rows first:
re-running replaces, never duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from functools import partial
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Subquery,
    Table,
    cast,
    delete,
    func,
    literal,
    null,
    select,
    union_all,
)

from payments.stats.bulk import bulk_session
from payments.stats.shared import count_payers_shared
from payments.stats.sources import Level, Sources, market_units, unit_column, units, vendor_qr_since
from payments.stats.sql import (
    VIETNAM_UTC_OFFSET_H,
    Period,
    Rows,
    histogram_percentiles,
    period_of_day,
)
from payments.stats.staging import PayerCounter, Staged, counted_after, staged
from payments.stats.tables import adoption

MAX_REFRESH_DAYS = 731  # two years of daily rows per unit is the most one refresh may write
VIETNAM = dt_timezone(timedelta(hours=VIETNAM_UTC_OFFSET_H))
KEYS = ("unit_id", "period_start")


class StatsInputError(ValueError):
    """A refresh or report asked for something impossible (names the argument)."""


def local_midnight_utc(day: date) -> datetime:
    """00:00 in Vietnam on ``day``, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=VIETNAM).astimezone(UTC)


def period_bounds(first: date, last: date, period: Period) -> list[tuple[date, date]]:
    """[start, end) local dates of every ``period`` that overlaps ``first``..``last``."""
    if period is Period.DAY:
        start = first
    elif period is Period.WEEK:
        start = first - timedelta(days=first.weekday())
    else:
        start = first.replace(day=1)
    bounds = []
    while start <= last:
        if period is Period.DAY:
            end = start + timedelta(days=1)
        elif period is Period.WEEK:
            end = start + timedelta(days=7)
        else:
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        bounds.append((start, end))
        start = end
    return bounds


def refresh(
    connection: Connection,
    first: date,
    last: date,
    *,
    sources: Sources,
    now: datetime,
    levels: tuple[Level, ...] = tuple(Level),
    periods: tuple[Period, ...] = tuple(Period),
) -> int:
    """Recompute every summary row for periods overlapping ``first``..``last``; rows written.

    Computes and publishes in the caller's transaction. ``refresh_all`` instead computes under a
    read snapshot and publishes in a short write transaction of its own (``compute``, then
    ``publish``), so the job never holds SQLite's write lock while it reads the month."""
    result = compute(
        connection, first, last, sources=sources, now=now, levels=levels, periods=periods
    )
    try:
        return publish(connection, result)
    finally:
        result.table.drop(connection)


@dataclass(frozen=True)
class Computed:
    """Summary rows computed into a TEMPORARY table, not yet in ``stat_adoption``."""

    table: Table
    spans: dict[Period, list[tuple[date, date]]]
    levels: tuple[Level, ...]


def compute(
    connection: Connection,
    first: date,
    last: date,
    *,
    sources: Sources,
    now: datetime,
    levels: tuple[Level, ...] = tuple(Level),
    periods: tuple[Period, ...] = tuple(Period),
    helpers: Engine | None = None,
) -> Computed:
    """The summary rows of ``first``..``last`` in a TEMPORARY table of ``connection``: reads the
    payments and writes nothing shared. The caller publishes it, then drops ``table``.

    ``helpers``: about half of the payer counts run on a second connection (of that engine on
    PostgreSQL, of a scratch file on SQLite: ``shared.py``); ``connection``'s transaction is then
    committed once, after every payment was read, so it must be one the caller began
    implicitly (not inside ``with connection.begin()``)."""
    if last < first:
        raise StatsInputError(f"date range {first}..{last}: the end is before the start")
    if (last - first).days + 1 > MAX_REFRESH_DAYS:
        raise StatsInputError(f"date range {first}..{last}: longer than {MAX_REFRESH_DAYS} days")
    spans = {period: period_bounds(first, last, period) for period in periods}
    lo = local_midnight_utc(min(bounds[0][0] for bounds in spans.values()))
    hi = local_midnight_utc(max(bounds[-1][1] for bounds in spans.values()))
    count_payers: PayerCounter = counted_after
    if helpers is not None and connection.dialect.name in ("postgresql", "sqlite"):
        count_payers = partial(count_payers_shared, engine=helpers)
    result = _result_table()

    def summarize(stage: Staged, level: Level, period: Period) -> None:
        query = _summary(stage, level, period, spans[period], now, connection.dialect.name)
        connection.execute(result.insert().from_select(_COLUMNS, query))

    # After bulk_session: PostgreSQL widens temp_buffers only before the first temporary table.
    with bulk_session(connection):
        result.create(connection)
        try:
            # The summaries run inside, each as soon as its payer counts are in (``staged``).
            with staged(
                connection,
                sources,
                lo,
                hi,
                levels=levels,
                periods=periods,
                count_payers=count_payers,
                summarize=summarize,
            ):
                pass
        except BaseException:
            result.drop(connection, checkfirst=True)
            raise
    return Computed(result, spans, levels)


def publish(connection: Connection, result: Computed) -> int:
    """Replace the computed periods' rows of ``stat_adoption`` with ``result``'s; rows written.
    Re-running replaces, never duplicates."""
    for period, bounds in result.spans.items():
        connection.execute(
            delete(adoption).where(
                adoption.c.level.in_([level.value for level in result.levels]),
                adoption.c.period == period.value,
                adoption.c.period_start >= bounds[0][0],
                adoption.c.period_start < bounds[-1][1],
            )
        )
    connection.execute(adoption.insert().from_select(_COLUMNS, select(result.table)))
    # Counted, not rowcount: drivers disagree on rowcount for INSERT ... SELECT.
    counted: int = connection.execute(select(func.count()).select_from(result.table)).scalar_one()
    return counted


def _result_table() -> Table:
    columns = [Column(c.name, c.type, nullable=c.nullable) for c in adoption.columns]
    return Table("stat_stage_result", MetaData(), *columns, prefixes=["TEMPORARY"])


_COLUMNS = [column.name for column in adoption.columns]


def _frame(bounds: list[tuple[date, date]]) -> Subquery:
    rows = [
        select(
            literal(start.isoformat(), String).label("period_start"),
            literal(local_midnight_utc(start), DateTime(timezone=True)).label("start_at"),
            literal(local_midnight_utc(end), DateTime(timezone=True)).label("end_at"),
        )
        for start, end in bounds
    ]
    return union_all(*rows).subquery("frame") if len(rows) > 1 else rows[0].subquery("frame")


def _by_unit(table: Table, level: Level, period: Period, dialect: str) -> Subquery:
    """A staging table's rows with unit_id (at ``level``) and period_start (of ``period``)."""
    mapping = market_units().subquery()
    return (
        select(
            table,
            unit_column(level, mapping).label("unit_id"),
            period_of_day(table.c.day, period, dialect).label("period_start"),
        )
        .join_from(table, mapping, mapping.c.market_id == table.c.market_id)
        .subquery()
    )


def _active_by_unit(active: Table, level: Level, period: Period) -> Subquery:
    """The staged active vendors of ``period`` per market, with unit_id and period_start."""
    mapping = market_units().subquery()
    return (
        select(
            active.c.vendors,
            unit_column(level, mapping).label("unit_id"),
            active.c.day.label("period_start"),
        )
        .join_from(active, mapping, mapping.c.market_id == active.c.market_id)
        .where(active.c.period == period.value)
        .subquery()
    )


def _grouped(rows: Subquery, *columns: ColumnElement[Any]) -> Subquery:
    return (
        select(rows.c.unit_id, rows.c.period_start, *columns)
        .group_by(rows.c.unit_id, rows.c.period_start)
        .subquery()
    )


def _summary(
    stage: Staged,
    level: Level,
    period: Period,
    bounds: list[tuple[date, date]],
    now: datetime,
    dialect: str,
) -> Rows:
    frame = _frame(bounds)
    unit_rows = units(level).subquery()
    tickets = _by_unit(stage.tickets, level, period, dialect)
    qr = _grouped(
        tickets,
        func.sum(tickets.c.n).label("qr_count"),
        func.sum(tickets.c.n * tickets.c.amount_dong).label("qr_value_dong"),
    )
    active_rows = _active_by_unit(stage.active, level, period)
    active = _grouped(active_rows, func.sum(active_rows.c.vendors).label("n"))
    median = histogram_percentiles(
        tickets, "amount_dong", "n", KEYS, {"median_ticket_dong": 0.5}, dialect
    )
    counted = stage.payer_counts
    payers = (
        select(counted)
        .where(counted.c.level == level.value, counted.c.period == period.value)
        .subquery()
    )
    attempt_rows = _by_unit(stage.attempts, level, period, dialect)
    tries = _grouped(
        attempt_rows,
        func.sum(attempt_rows.c.attempts).label("attempts"),
        func.sum(attempt_rows.c.failures).label("failures"),
        func.sum(attempt_rows.c.timeouts).label("timeouts"),
    )
    notify = histogram_percentiles(
        _by_unit(stage.latencies, level, period, dialect),
        "latency_ms",
        "n",
        KEYS,
        {"notify_p50_ms": 0.5, "notify_p95_ms": 0.95},
        dialect,
    )
    cash = None
    if stage.cash is not None:
        cash_rows = _by_unit(stage.cash, level, period, dialect)
        cash = _grouped(
            cash_rows,
            func.sum(cash_rows.c.sales).label("cash_count"),
            func.sum(cash_rows.c.value_dong).label("cash_value_dong"),
        )
    registry = _vendor_counts(level, frame)

    def on(sub: Subquery) -> ColumnElement[bool]:
        return (sub.c.unit_id == unit_rows.c.unit_id) & (sub.c.period_start == frame.c.period_start)

    start_value = (
        cast(frame.c.period_start, Date) if dialect == "postgresql" else frame.c.period_start
    )
    zero = literal(0, Integer)
    query = (
        select(
            literal(level.value, String).label("level"),
            unit_rows.c.unit_id,
            unit_rows.c.unit_name,
            unit_rows.c.parent_id,
            literal(period.value, String).label("period"),
            start_value.label("period_start"),
            func.coalesce(registry.c.vendors_registered, zero),
            func.coalesce(registry.c.vendors_with_qr, zero),
            func.coalesce(active.c.n, zero),
            func.coalesce(qr.c.qr_count, zero),
            func.coalesce(qr.c.qr_value_dong, zero),
            _cash_column(cash, "cash_count"),
            _cash_column(cash, "cash_value_dong"),
            func.coalesce(payers.c.unique_payers, zero),
            func.coalesce(payers.c.repeat_payers, zero),
            median.c.median_ticket_dong,
            func.coalesce(tries.c.attempts, zero),
            func.coalesce(tries.c.failures, zero),
            func.coalesce(tries.c.timeouts, zero),
            notify.c.notify_p50_ms,
            notify.c.notify_p95_ms,
            literal(now, DateTime(timezone=True)).label("computed_at"),
        )
        .select_from(unit_rows.join(frame, literal(True)))
        .outerjoin(registry, on(registry))
        .outerjoin(qr, on(qr))
        .outerjoin(active, on(active))
        .outerjoin(median, on(median))
        .outerjoin(payers, on(payers))
        .outerjoin(tries, on(tries))
        .outerjoin(notify, on(notify))
    )
    return query if cash is None else query.outerjoin(cash, on(cash))


def _cash_column(cash: Subquery | None, name: str) -> ColumnElement[int]:
    """Cash figures: 0 when observations exist but none fell in the period, NULL when none do."""
    if cash is None:
        return null().cast(Integer).label(name)
    return func.coalesce(cash.c[name], literal(0, Integer)).label(name)


def _vendor_counts(level: Level, frame: Subquery) -> Subquery:
    """Vendors registered and vendors with a QR code by the end of each period."""
    registry = vendor_qr_since().subquery()
    mapping = market_units().subquery()
    unit_id = unit_column(level, mapping)
    has_qr = (registry.c.qr_since.is_not(None) & (registry.c.qr_since < frame.c.end_at)).cast(
        Integer
    )
    return (
        select(
            unit_id.label("unit_id"),
            frame.c.period_start,
            func.count().label("vendors_registered"),
            func.sum(has_qr).label("vendors_with_qr"),
        )
        .select_from(registry)
        .join(mapping, mapping.c.market_id == registry.c.market_id)
        .join(frame, registry.c.registered_at < frame.c.end_at)
        .group_by(unit_id, frame.c.period_start)
        .subquery()
    )
