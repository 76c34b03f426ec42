"""Exact unique and repeat payers for every level × period, counted once before the summaries.

A payer is unique in a unit and period when it paid there at least once, a repeat payer when it
paid at least ``REPEAT_PAYER_MIN_PAYMENTS`` times. Both need the payments grouped per (unit,
period, payer) before counting, and the staged payer table (one row per market, day and payer,
``staging.py``) barely shrinks under that grouping: payers rarely pay twice at one market on one
day. Each of the twelve summaries used to regroup it on its own. Here every pair is
counted once into a small TEMPORARY table that the summaries join, one INSERT per pair over
plain columns of the staged table (unit ids and period starts are stored there, not derived per
summary); the market × day pair needs no regrouping at all, its staged rows are one per payer.

Tried on PostgreSQL and dropped: one statement with ``GROUP BY GROUPING SETS`` over the twelve
(unit, period, payer) keys took 51 s on 1M payments, the twelve INSERTs about 42 s together
(back-to-back runs, load average 4-5).

Counts stay exact: no sketch (HyperLogLog) is used.

PostgreSQL: one sort of one int8 column per pair. Grouping a million (unit, period start,
payer) triples in a hash table is bound by cache misses (0.8-0.9 s a pair on the benchmark's 1M
payments), and sorting them by two or three columns is no faster. A sort whose input is a single
by-value column is: PostgreSQL sorts the bare values (a quarter of the memory) with its int8
comparator. So on PostgreSQL the staging numbers the payers (a dense id per payer key), keeps one
row per receipt with its period starts as day numbers (``staging.py``), and each pair sorts the
key ``(unit × days + period start) × payers + payer id`` alone (``Packing``); a payer's payments
in a unit and period are then the run of equal keys, so a repeat payer is a run of two or more.
One pair, fetched whole: 0.53-0.56 s against 0.87-0.91 s for the hash grouping of the text keys
(measured side by side in one psql session, 14:20 UTC). When a key could overflow an int8 (never
with real directory sizes) the market-day rows and the grouping above are used instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    case,
    cast,
    func,
    literal,
    select,
)

from payments.stats.sources import PROVINCE_UNIT_ID, Level
from payments.stats.sql import Period, Rows

REPEAT_PAYER_MIN_PAYMENTS = 2
LEVEL_CHARS = 10
DAY_CHARS = 10  # 'YYYY-MM-DD'

# The staged payer table's column holding each level's unit and each period's start.
_UNIT_COLUMN = {
    Level.MARKET: "market_id",
    Level.COMMUNE: "commune_id",
    Level.DISTRICT: "district_id",
}
_START_COLUMN = {Period.DAY: "day", Period.WEEK: "week", Period.MONTH: "month"}
# The same starts as days since 1970 (PostgreSQL's packed keys).
_START_NUMBER = {Period.DAY: "day_number", Period.WEEK: "week_number", Period.MONTH: "month_number"}
EPOCH = date(1970, 1, 1)
INT8_MAX = 2**63 - 1
# Runs once a level × period's counts are in the counts table.
Counted = Callable[[Level, Period], None]


@dataclass(frozen=True)
class Packing:
    """How one int8 holds (unit id, period start, payer id) of a staged payer row.

    Payer ids run 1..``payers``; period starts (days since 1970) ``first_day``..``first_day +
    days - 1``; unit ids 0..``max_unit``."""

    payers: int
    first_day: int
    days: int
    max_unit: int

    @property
    def radix(self) -> int:
        return self.payers + 1

    def fits(self) -> bool:
        """Whether every key is a non-negative int8."""
        return (self.max_unit + 1) * self.days * self.radix - 1 <= INT8_MAX


def payer_counts_table(metadata: MetaData) -> Table:
    """level, period, unit_id, period_start, unique_payers, repeat_payers (TEMPORARY)."""
    return Table(
        "stat_stage_payer_counts",
        metadata,
        Column("level", String(LEVEL_CHARS), nullable=False),
        Column("period", String(LEVEL_CHARS), nullable=False),
        Column("unit_id", Integer, nullable=False),
        Column("period_start", String(DAY_CHARS), nullable=False),
        Column("unique_payers", Integer, nullable=False),
        Column("repeat_payers", Integer, nullable=False),
        prefixes=["TEMPORARY"],
    )


def fill_payer_counts(
    connection: Connection,
    payers: Table,
    counts: Table,
    levels: Sequence[Level],
    periods: Sequence[Period],
    packing: Packing | None = None,
    counted: Counted | None = None,
) -> None:
    """Count unique and repeat payers of ``payers`` (staged) into ``counts`` for each pair;
    ``counted`` runs after each pair."""
    columns = [c.name for c in counts.columns]
    for level in levels:
        for period in periods:
            query = pair_counts(payers, level, period, packing)
            connection.execute(counts.insert().from_select(columns, query))
            if counted is not None:
                counted(level, period)


def _unit(payers: Table, level: Level) -> ColumnElement[int]:
    if level is Level.PROVINCE:
        return literal(PROVINCE_UNIT_ID, Integer)
    return payers.c[_UNIT_COLUMN[level]]


def _repeat(payments: ColumnElement[int]) -> ColumnElement[int]:
    return func.sum(case((payments >= REPEAT_PAYER_MIN_PAYMENTS, 1), else_=0))


def _one_pair(payers: Table, level: Level, period: Period) -> Rows:
    start = payers.c[_START_COLUMN[period]]
    if level is Level.MARKET and period is Period.DAY:
        per_payer = select(
            payers.c.market_id.label("unit_id"),
            start.label("period_start"),
            payers.c.n.label("payments"),
        ).subquery()
    else:
        keyed = select(
            _unit(payers, level).label("unit_id"),
            start.label("period_start"),
            payers.c.payer_key,
            payers.c.n,
        ).subquery()
        per_payer = (
            select(keyed.c.unit_id, keyed.c.period_start, func.sum(keyed.c.n).label("payments"))
            .group_by(keyed.c.unit_id, keyed.c.period_start, keyed.c.payer_key)
            .subquery()
        )
    return select(
        literal(level.value, String).label("level"),
        literal(period.value, String).label("period"),
        per_payer.c.unit_id,
        per_payer.c.period_start,
        func.count(),
        _repeat(per_payer.c.payments),
    ).group_by(per_payer.c.unit_id, per_payer.c.period_start)


def _packed_pair(payers: Table, level: Level, period: Period, packing: Packing) -> Rows:
    unit = cast(_unit(payers, level), BigInteger)
    start = payers.c[_START_NUMBER[period]] - packing.first_day
    key = (unit * packing.days + start) * packing.radix + payers.c.payer_id
    # Sorted in a subquery of that one column, so that the sort is of bare int8 values and the
    # grouping streams over its output (no hash table, no setting to change).
    keys = select(key.label("k")).order_by(key).subquery()
    per_payer = select(keys.c.k, func.count().label("payments")).group_by(keys.c.k).subquery()
    unit_period = per_payer.c.k // packing.radix
    grouped = (
        select(
            unit_period.label("unit_period"),
            func.count().label("unique_payers"),
            _repeat(per_payer.c.payments).label("repeat_payers"),
        )
        .group_by(unit_period)
        .subquery()
    )
    day_number = packing.first_day + grouped.c.unit_period % packing.days
    return select(
        literal(level.value, String).label("level"),
        literal(period.value, String).label("period"),
        cast(grouped.c.unit_period // packing.days, Integer).label("unit_id"),
        func.to_char(literal(EPOCH) + cast(day_number, Integer), "YYYY-MM-DD").label(
            "period_start"
        ),
        grouped.c.unique_payers,
        grouped.c.repeat_payers,
    )


def pair_counts(
    payers: Table, level: Level, period: Period, packing: Packing | None = None
) -> Rows:
    """The counts of one level × period: rows shaped like ``payer_counts_table``. With a
    ``packing`` (PostgreSQL; ``payers`` then holds one row per receipt), by the packed key."""
    if packing is not None:
        return _packed_pair(payers, level, period, packing)
    return _one_pair(payers, level, period)
