"""The few SQL expressions that differ between SQLite and PostgreSQL, chosen per dialect.

Everything else in the statistics is plain SQLAlchemy Core that both databases run as is.
Periods are Vietnamese calendar periods: Vietnam is UTC+7 all year (no daylight saving), so a
fixed offset is exact. Period starts are ISO date strings ('2026-05-04') on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    Select,
    Subquery,
    case,
    cast,
    func,
    literal_column,
    select,
)

VIETNAM_UTC_OFFSET_H = 7
VIETNAM_ZONE = "Asia/Ho_Chi_Minh"  # UTC+7 since 1975, no daylight saving
MS_PER_DAY = 86_400_000

# A SELECT of any columns (SQLAlchemy 2.1 types Select by its column types, variadically).
Rows: TypeAlias = "Select[*tuple[Any, ...]]"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def period_start(moment: ColumnElement[object], period: Period, dialect: str) -> ColumnElement[str]:
    """The local (UTC+7) start date of the period containing ``moment``, as 'YYYY-MM-DD'."""
    if dialect == "postgresql":
        if period is Period.DAY:
            # The UTC wall clock shifted by the fixed offset (UTC+7 all year since 1975), as on
            # SQLite: half the cost per row of the zone lookup and date_trunc below (1M rows:
            # 0.17 s against 0.32 s), and this runs over every payment of a refresh.
            utc = func.timezone("UTC", moment)
            hours = f"interval '{VIETNAM_UTC_OFFSET_H} hours'"
            interval: ColumnElement[object] = literal_column(hours)
            return func.to_char(utc + interval, "YYYY-MM-DD")
        # A zone name, not '+07': PostgreSQL reads numeric zone strings POSIX-style (west > 0).
        local = func.timezone(VIETNAM_ZONE, moment)
        return func.to_char(func.date_trunc(period.value, local), "YYYY-MM-DD")
    shift = f"+{VIETNAM_UTC_OFFSET_H} hours"
    if period is Period.DAY:
        return func.date(moment, shift)
    if period is Period.WEEK:
        # Monday on or before the day: step back six days, then forward to the next Monday.
        return func.date(moment, shift, "-6 days", "weekday 1")
    return func.strftime("%Y-%m-01", moment, shift)


def elapsed_ms(
    start: ColumnElement[object], end: ColumnElement[object], dialect: str
) -> ColumnElement[float]:
    """Whole milliseconds from ``start`` to ``end`` (two timestamp columns).

    Rounded because SQLite's julianday() is a double of about 2.46 million days, which resolves
    time to roughly 0.05 ms: whole milliseconds are exact on both databases.
    """
    if dialect == "postgresql":
        return cast(func.round(func.extract("epoch", end - start) * 1000.0), Float)
    return cast(func.round((func.julianday(end) - func.julianday(start)) * MS_PER_DAY), Float)


def period_of_day(day: ColumnElement[str], period: Period, dialect: str) -> ColumnElement[str]:
    """The start ('YYYY-MM-DD') of the period containing local day ``day`` ('YYYY-MM-DD')."""
    if period is Period.DAY:
        return day
    if dialect == "postgresql":
        return func.to_char(func.date_trunc(period.value, cast(day, Date)), "YYYY-MM-DD")
    if period is Period.WEEK:
        return func.date(day, "-6 days", "weekday 1")
    return func.strftime("%Y-%m-01", day)


def _floor(value: ColumnElement[float], dialect: str) -> ColumnElement[int]:
    # PostgreSQL's CAST rounds; SQLite's truncates (and has no floor() in every build).
    if dialect == "postgresql":
        return cast(func.floor(value), Integer)
    return cast(value, Integer)


def histogram_percentiles(
    histogram: Subquery,
    value: str,
    weight: str,
    keys: Sequence[str],
    fractions: dict[str, float],
    dialect: str,
) -> Subquery:
    """Exact ``percentile_cont`` of a weighted histogram (one row per distinct value).

    The value at 1-based rank r is the smallest value whose cumulative count reaches r; the
    percentile interpolates between ranks floor(p) and floor(p) + 1 where p = 1 + f·(n − 1),
    as percentile_cont does over the expanded rows.
    """
    key_cols = [histogram.c[name] for name in keys]
    grouped = (
        select(*key_cols, histogram.c[value].label("v"), func.sum(histogram.c[weight]).label("n"))
        .group_by(*key_cols, histogram.c[value])
        .subquery()
    )
    group_keys = [grouped.c[name] for name in keys]
    ranked = select(
        *group_keys,
        grouped.c.v,
        func.sum(grouped.c.n).over(partition_by=group_keys, order_by=grouped.c.v).label("cum"),
        func.sum(grouped.c.n).over(partition_by=group_keys).label("total"),
    ).subquery()
    out_keys = [ranked.c[name] for name in keys]
    columns = []
    for name, fraction in fractions.items():
        position = 1 + fraction * (ranked.c.total - 1)
        low_rank = _floor(position, dialect)
        low = func.min(case((ranked.c.cum >= low_rank, ranked.c.v)))
        high = func.coalesce(func.min(case((ranked.c.cum >= low_rank + 1, ranked.c.v))), low)
        columns.append((low + func.max(position - low_rank) * (high - low)).label(name))
    return select(*out_keys, *columns).group_by(*out_keys).subquery()
