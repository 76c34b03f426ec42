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
    Float,
    Integer,
    Select,
    Subquery,
    case,
    cast,
    func,
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


def percentiles(
    source: Rows | Subquery,
    value: str,
    keys: Sequence[str],
    fractions: dict[str, float],
    dialect: str,
) -> Subquery:
    """Continuous percentiles (``percentile_cont`` semantics) of ``value`` per ``keys``.

    PostgreSQL has ``percentile_cont``; SQLite does not, so there the rows are ranked with window
    functions and the two neighbouring ranks are interpolated exactly as percentile_cont does:
    position 1 + f·(n − 1), linear between floor and ceiling.
    """
    rows = source.subquery() if isinstance(source, Select) else source
    key_cols = [rows.c[name] for name in keys]
    if dialect == "postgresql":
        columns = [
            func.percentile_cont(fraction).within_group(rows.c[value]).label(name)
            for name, fraction in fractions.items()
        ]
        return select(*key_cols, *columns).group_by(*key_cols).subquery()
    ranked = select(
        *key_cols,
        rows.c[value].label("v"),
        func.row_number().over(partition_by=key_cols, order_by=rows.c[value]).label("rn"),
        func.count().over(partition_by=key_cols).label("n"),
    ).subquery()
    columns = []
    for name, fraction in fractions.items():
        position = 1 + fraction * (ranked.c.n - 1)
        low = cast(position, Integer)  # floor: positions are never negative
        weight = position - low
        low_value = func.max(case((ranked.c.rn == low, ranked.c.v)))
        high_value = func.coalesce(func.max(case((ranked.c.rn == low + 1, ranked.c.v))), low_value)
        # The weight is the same on every row of a group, so max() just picks it up.
        columns.append((low_value + func.max(weight) * (high_value - low_value)).label(name))
    group_keys = [ranked.c[name] for name in keys]
    return select(*group_keys, *columns).group_by(*group_keys).subquery()
