"""Recompute the adoption summary rows inside the database: INSERT ... SELECT, no rows in Python.

For each level (market, commune, district, province) and period (day, week, month) the frame is
every unit × every period overlapping the requested dates; each measure is a grouped subquery
LEFT JOINed onto that frame, so a market with no activity still gets a row of zeros. Refreshing
a range deletes that range's rows first: re-running replaces, never duplicates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from datetime import timezone as dt_timezone

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Integer,
    String,
    Subquery,
    cast,
    delete,
    distinct,
    func,
    literal,
    null,
    select,
    union_all,
)

from payments.stats.sources import Level, Sources, market_units, unit_column, units, vendor_qr_since
from payments.stats.sql import (
    VIETNAM_UTC_OFFSET_H,
    Period,
    Rows,
    elapsed_ms,
    percentiles,
    period_start,
)
from payments.stats.tables import adoption

MAX_REFRESH_DAYS = 731  # two years of daily rows per unit is the most one refresh may write
REPEAT_PAYER_MIN_PAYMENTS = 2
VIETNAM = dt_timezone(timedelta(hours=VIETNAM_UTC_OFFSET_H))


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
    """Recompute every summary row for periods overlapping ``first``..``last``; rows written."""
    if last < first:
        raise StatsInputError(f"date range {first}..{last}: the end is before the start")
    if (last - first).days + 1 > MAX_REFRESH_DAYS:
        raise StatsInputError(f"date range {first}..{last}: longer than {MAX_REFRESH_DAYS} days")
    written = 0
    for period in periods:
        bounds = period_bounds(first, last, period)
        for level in levels:
            connection.execute(
                delete(adoption).where(
                    adoption.c.level == level.value,
                    adoption.c.period == period.value,
                    adoption.c.period_start >= bounds[0][0],
                    adoption.c.period_start < bounds[-1][1],
                )
            )
            query = _summary(level, period, bounds, sources, now, connection.dialect.name)
            connection.execute(adoption.insert().from_select(_COLUMNS, query))
            # Counted, not rowcount: drivers disagree on rowcount for INSERT ... SELECT.
            written += connection.execute(
                select(func.count())
                .select_from(adoption)
                .where(
                    adoption.c.level == level.value,
                    adoption.c.period == period.value,
                    adoption.c.period_start >= bounds[0][0],
                    adoption.c.period_start < bounds[-1][1],
                )
            ).scalar_one()
    return written


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


def _by_unit(
    source: Rows,
    level: Level,
    period: Period,
    dialect: str,
    lo: datetime,
    hi: datetime,
) -> Subquery:
    """``source`` (with market_id and at) plus unit_id and period_start, inside [lo, hi)."""
    rows = source.subquery()
    mapping = market_units().subquery()
    return (
        select(
            rows,
            unit_column(level, mapping).label("unit_id"),
            period_start(rows.c.at, period, dialect).label("period_start"),
        )
        .join_from(rows, mapping, mapping.c.market_id == rows.c.market_id)
        .where(rows.c.at >= lo, rows.c.at < hi)
        .subquery()
    )


def _summary(
    level: Level,
    period: Period,
    bounds: list[tuple[date, date]],
    sources: Sources,
    now: datetime,
    dialect: str,
) -> Rows:
    lo, hi = local_midnight_utc(bounds[0][0]), local_midnight_utc(bounds[-1][1])
    frame = _frame(bounds)
    unit_rows = units(level).subquery()
    keys = ("unit_id", "period_start")

    receipts = _by_unit(sources.receipts, level, period, dialect, lo, hi)
    qr = (
        select(
            receipts.c.unit_id,
            receipts.c.period_start,
            func.count().label("qr_count"),
            func.sum(receipts.c.amount_dong).label("qr_value_dong"),
            func.count(distinct(receipts.c.vendor_id)).label("active_qr_vendors"),
        )
        .group_by(receipts.c.unit_id, receipts.c.period_start)
        .subquery()
    )
    median = percentiles(receipts, "amount_dong", keys, {"median_ticket_dong": 0.5}, dialect)
    payers = _payer_counts(receipts, sources)
    attempts = _by_unit(sources.attempts, level, period, dialect, lo, hi)
    tries = (
        select(
            attempts.c.unit_id,
            attempts.c.period_start,
            func.count().label("attempts"),
            func.sum(attempts.c.failed).label("failures"),
            func.sum(attempts.c.timed_out).label("timeouts"),
        )
        .group_by(attempts.c.unit_id, attempts.c.period_start)
        .subquery()
    )
    notices = _by_unit(sources.notices, level, period, dialect, lo, hi)
    latency = select(
        notices.c.unit_id,
        notices.c.period_start,
        elapsed_ms(notices.c.at, notices.c.seen_at, dialect).label("latency_ms"),
    )
    notify = percentiles(
        latency, "latency_ms", keys, {"notify_p50_ms": 0.5, "notify_p95_ms": 0.95}, dialect
    )
    cash = _cash_totals(sources, level, period, dialect, lo, hi)
    registry = _vendor_counts(level, frame)

    def on(sub: Subquery) -> object:
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
            func.coalesce(qr.c.active_qr_vendors, zero),
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
        .outerjoin(registry, on(registry))  # type: ignore[arg-type]
        .outerjoin(qr, on(qr))  # type: ignore[arg-type]
        .outerjoin(median, on(median))  # type: ignore[arg-type]
        .outerjoin(payers, on(payers))  # type: ignore[arg-type]
        .outerjoin(tries, on(tries))  # type: ignore[arg-type]
        .outerjoin(notify, on(notify))  # type: ignore[arg-type]
    )
    return query if cash is None else query.outerjoin(cash, on(cash))  # type: ignore[arg-type]


def _cash_totals(
    sources: Sources, level: Level, period: Period, dialect: str, lo: datetime, hi: datetime
) -> Subquery | None:
    if sources.cash is None:
        return None
    rows = _by_unit(sources.cash, level, period, dialect, lo, hi)
    return (
        select(
            rows.c.unit_id,
            rows.c.period_start,
            func.sum(rows.c.sales).label("cash_count"),
            func.sum(rows.c.value_dong).label("cash_value_dong"),
        )
        .group_by(rows.c.unit_id, rows.c.period_start)
        .subquery()
    )


def _cash_column(cash: Subquery | None, name: str) -> ColumnElement[int]:
    """Cash figures: 0 when observations exist but none fell in the period, NULL when none do."""
    if cash is None:
        return null().cast(Integer).label(name)
    return func.coalesce(cash.c[name], literal(0, Integer)).label(name)


def _payer_counts(receipts: Subquery, sources: Sources) -> Subquery:
    """unique_payers and repeat_payers (≥ 2 payments in the period) per unit and period."""
    payer_rows = sources.payers.subquery()
    per_payer = (
        select(
            receipts.c.unit_id,
            receipts.c.period_start,
            payer_rows.c.payer_key,
            func.count().label("payments"),
        )
        .join_from(
            receipts,
            payer_rows,
            payer_rows.c.client_transfer_id == receipts.c.client_transfer_id,
        )
        .group_by(receipts.c.unit_id, receipts.c.period_start, payer_rows.c.payer_key)
        .subquery()
    )
    repeat = (per_payer.c.payments >= REPEAT_PAYER_MIN_PAYMENTS).cast(Integer)
    return (
        select(
            per_payer.c.unit_id,
            per_payer.c.period_start,
            func.count().label("unique_payers"),
            func.sum(repeat).label("repeat_payers"),
        )
        .group_by(per_payer.c.unit_id, per_payer.c.period_start)
        .subquery()
    )


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
