"""One pass over the raw records into small per-market, per-day staging tables.

Every summary (4 levels × 3 periods) is then aggregated from these instead of from the
payments: the raw tables are each read once per refresh, whatever the number of summaries.
Order statistics stay exact because the staging keeps *histograms* (value, count) rather
than averages: tickets are whole thousands of đồng and latencies whole milliseconds, so a
market-day has few distinct values. Payers are kept per market-day with their payment count,
which is what unique and repeat payers need at any coarser level; on PostgreSQL instead one row
per receipt with a dense payer number and day numbers, which its payer counts sort as one int8
key (``payers.py``).

The receipts are joined with their payers once, into ``stat_stage_receipts``; tickets, active
vendors and payers are each one grouping of that table. Weeks and months come from a calendar
table of a few hundred days, not from date functions evaluated per payment.

The tables are TEMPORARY: private to the refreshing connection, dropped when it ends.

Grouping order: the staged receipts, like the switch records and the credits they come from,
are read in time order, so their rows arrive in day order. SQLite groups by sorting, and with
the day as the first key its sorter gets rows nearly in order (a day's few tens of thousands at
a time) instead of in random market order. On 1M payments, side by side, the groupings of the
receipts and the switch records (tickets, latencies, vendor-days, payers, attempts) took
6.8-7.5 s instead of 9.2-10.8 s. The staged payers then come out in (day, market, payer) order,
which the payer counts read no slower. PostgreSQL hashes; the key order changes nothing there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    distinct,
    func,
    insert,
    literal,
    null,
    select,
    text,
)

from payments.stats.payers import (
    EPOCH,
    Counted,
    Packing,
    fill_payer_counts,
    payer_counts_table,
)
from payments.stats.sources import Level, Sources, market_units
from payments.stats.sql import VIETNAM_UTC_OFFSET_H, Period, Rows, elapsed_ms, period_start
from payments.tables import ACCOUNT_MAX_CHARS, BIN_CHARS

DAY_CHARS = 10  # 'YYYY-MM-DD'
PERIOD_CHARS = 10
_CALENDAR_COLUMN = {Period.WEEK: "week", Period.MONTH: "month"}
# Stages the payers (by calling the fill function with the table to fill: the staged payers
# table given, or one shaped like it; it returns how to pack their keys, or None) and fills the
# payer counts table for every level × period: it may start on entering and must be done on
# leaving, while the rest of the staging runs inside. After each pair it calls the last
# argument on the refreshing connection, once that pair's counts are in the table.
PayerFill = Callable[[Table], Packing | None]
PayerCounter = Callable[
    [Connection, Table, PayerFill, Table, Sequence[Level], Sequence[Period], Counted],
    AbstractContextManager[None],
]
PAYER_KEY_MAX_CHARS = 40


@dataclass(frozen=True)
class Staged:
    receipts: Table  # market_id, day, commune_id, district_id, vendor_id, amount_dong, payer_key
    vendor_days: Table  # market_id, day, vendor_id (distinct)
    active: Table  # market_id, day (the period's start), period, vendors (distinct, per market)
    tickets: Table  # market_id, day, amount_dong, n
    calendar: Table  # day, week, month
    payers: Table  # market_id, day, payer_key, n, commune_id, district_id, week, month, (PG:)
    # payer_id, day_number, week_number, month_number
    payer_ids: Table  # payer_key, payer_id (PostgreSQL only: a dense number per payer)
    latencies: Table  # market_id, day, latency_ms, n
    attempts: Table  # market_id, day, attempts, failures, timeouts
    accounts: Table  # bank_bin, account_number, market_id (every receiving account)
    cash: Table | None  # market_id, day, sales, value_dong
    payer_counts: Table  # level, period, unit_id, period_start, unique_payers, repeat_payers

    def all_tables(self) -> list[Table]:
        """Every staging table, in an order that can be created (and dropped reversed)."""
        tables = [self.receipts, self.vendor_days, self.active, self.tickets, self.calendar,
                  self.payers, self.payer_ids, self.latencies, self.attempts, self.accounts,
                  self.cash, self.payer_counts]  # fmt: skip
        return [table for table in tables if table is not None]


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
        # One row per QR receipt with its market's commune and district and its payer (NULL
        # without a completed switch record): the raw tables are joined once, then the
        # histograms and payer runs below are each one grouping of this table.
        receipts=temp(
            "stat_stage_receipts",
            Column("commune_id", Integer),
            Column("district_id", Integer),
            Column("vendor_id", Integer),
            Column("amount_dong", BigInteger),
            Column("payer_key", String(PAYER_KEY_MAX_CHARS), nullable=True),
            # SQLite only (NULL on PostgreSQL): the receipt's notices and, when it has exactly
            # one, its latency, so the latency histogram is a grouping of this table.
            Column("notices", Integer, nullable=True),
            Column("latency_ms", Float, nullable=True),
        ),
        vendor_days=temp("stat_stage_vendor_days", Column("vendor_id", Integer)),
        # Active vendors per market and period, counted once per period: a vendor belongs to
        # one market, so every coarser level is a plain sum of these (no distinct count per
        # summary, which sorted the 180k vendor-days twelve times).
        active=temp(
            "stat_stage_active",
            Column("period", String(PERIOD_CHARS), nullable=False),
            Column("vendors", Integer, nullable=False),
        ),
        tickets=temp("stat_stage_tickets", Column("amount_dong", BigInteger), Column("n", Integer)),
        calendar=Table(
            "stat_stage_calendar",
            metadata,
            Column("day", String(DAY_CHARS), primary_key=True),
            Column("week", String(DAY_CHARS), nullable=False),
            Column("month", String(DAY_CHARS), nullable=False),
            # The same as days since 1970, for PostgreSQL's packed payer keys (payers.py).
            Column("day_number", Integer, nullable=False),
            Column("week_number", Integer, nullable=False),
            Column("month_number", Integer, nullable=False),
            prefixes=["TEMPORARY"],
        ),
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
            # PostgreSQL only (NULL on SQLite): the payer's number and the period starts as
            # days since 1970, which the packed keys of the payer counts are made of.
            Column("payer_id", Integer, nullable=True),
            Column("day_number", Integer, nullable=True),
            Column("week_number", Integer, nullable=True),
            Column("month_number", Integer, nullable=True),
        ),
        payer_ids=Table(
            "stat_stage_payer_ids",
            metadata,
            Column("payer_key", String(PAYER_KEY_MAX_CHARS), nullable=False),
            Column("payer_id", Integer, nullable=False),
            prefixes=["TEMPORARY"],
        ),
        latencies=temp("stat_stage_latencies", Column("latency_ms", Float), Column("n", Integer)),
        attempts=temp(
            "stat_stage_attempts",
            Column("attempts", Integer),
            Column("failures", Integer),
            Column("timeouts", Integer),
        ),
        # The receiving accounts with their market, keyed like the switch records name them:
        # each attempt is then one probe into these few thousand rows instead of a probe into
        # the accounts and another into the vendors (the attempts pass 2.51-2.58 s -> 1.88-2.03 s
        # on SQLite, 1M switch records, side by side).
        accounts=Table(
            "stat_stage_accounts",
            metadata,
            Column("bank_bin", String(BIN_CHARS), primary_key=True),
            Column("account_number", String(ACCOUNT_MAX_CHARS), primary_key=True),
            Column("market_id", Integer, nullable=False),
            prefixes=["TEMPORARY"],
            sqlite_with_rowid=False,
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
    count_payers: PayerCounter | None = None,
    summarize: Callable[[Staged, Level, Period], None] | None = None,
) -> Iterator[Staged]:
    """Fill the staging tables from ``sources`` for [lo, hi), with the payer counts of each
    level × period (by ``count_payers``); drop them afterwards. ``summarize`` runs for each
    level × period as soon as its payer counts are in (every other staging table is complete
    by then), so the summaries overlap with the payer counts still running elsewhere."""
    count_payers = count_payers or counted_after
    dialect = connection.dialect.name
    stage = _tables(sources.cash is not None)
    created = stage.all_tables()
    for table in created:
        table.create(connection)
    try:
        shift = timedelta(hours=VIETNAM_UTC_OFFSET_H)
        fill_calendar(connection, stage.calendar, (lo + shift).date(), (hi + shift).date())
        _fill_receipts(connection, stage.receipts, sources, dialect, lo, hi)
        # The passes over the payments' own tables. On SQLite before the payer counts start,
        # since sharing them commits the read (one snapshot for every payment read); on
        # PostgreSQL (each statement its own snapshot anyway) while the counting goes on.
        sources_first = dialect != "postgresql"
        if sources_first:
            _fill_sources(connection, stage, sources, dialect, lo, hi)
        with count_payers(
            connection,
            stage.payers,
            lambda target: _fill_payers(connection, stage, target),
            stage.payer_counts,
            levels,
            periods,
            lambda level, period: None if summarize is None else summarize(stage, level, period),
        ):
            if not sources_first:
                _fill_sources(connection, stage, sources, dialect, lo, hi)
            _fill_histograms(connection, stage)
            _fill_active(connection, stage, periods)
            # Autovacuum never sees TEMPORARY tables: without statistics PostgreSQL plans the
            # twelve summaries over them blind.
            for table in created:
                if table not in (stage.payer_counts, stage.payers, stage.payer_ids):
                    connection.execute(text(f"ANALYZE {table.name}"))
        connection.execute(text(f"ANALYZE {stage.payer_counts.name}"))
        yield stage
    finally:
        # checkfirst: after a failed job rolled back, tables created since its last commit are
        # gone already.
        for table in reversed(created):
            table.drop(connection, checkfirst=True)


def _fill_histograms(connection: Connection, stage: Staged) -> None:
    """Distinct vendor-days and the ticket histogram, from the staged receipts."""
    receipts = stage.receipts
    keys = (receipts.c.market_id, receipts.c.day)
    # Day first in every grouping: see "Grouping order" in the module's docstring.
    by_day = (receipts.c.day, receipts.c.market_id)
    connection.execute(
        stage.vendor_days.insert().from_select(
            ["day", "market_id", "vendor_id"],
            select(*by_day, receipts.c.vendor_id).distinct(),
        )
    )
    connection.execute(
        stage.tickets.insert().from_select(
            ["market_id", "day", "amount_dong", "n"],
            select(*keys, receipts.c.amount_dong, func.count()).group_by(
                *by_day, receipts.c.amount_dong
            ),
        )
    )


def _fill_payers(connection: Connection, stage: Staged, target: Table) -> Packing | None:
    """The staged payers, into ``target`` (``stage.payers``, or a table shaped like it that a
    second connection reads). Returns how the payer counts pack their keys (PostgreSQL: one row
    per receipt), or None (one row per market, day and payer)."""
    packing = _number_payers(connection, stage) if connection.dialect.name == "postgresql" else None
    if packing is None:
        _fill_market_day_payers(connection, stage, target)
        return None
    receipts = stage.receipts
    calendar = stage.calendar
    ids = stage.payer_ids
    connection.execute(
        target.insert().from_select(
            ["market_id", "day", "n", "commune_id", "district_id", "week", "month", "payer_id",
             "day_number", "week_number", "month_number"],
            select(
                receipts.c.market_id, receipts.c.day, literal(1), receipts.c.commune_id,
                receipts.c.district_id, calendar.c.week, calendar.c.month, ids.c.payer_id,
                calendar.c.day_number, calendar.c.week_number, calendar.c.month_number,
            )
            .join_from(receipts, calendar, calendar.c.day == receipts.c.day)
            .join(ids, ids.c.payer_key == receipts.c.payer_key),
        )
    )  # fmt: skip
    return packing


def _fill_market_day_payers(connection: Connection, stage: Staged, target: Table) -> None:
    """One row per (market, day, payer) with the payments' count, unit ids and periods."""
    receipts = stage.receipts
    calendar = stage.calendar
    # Day first: see "Grouping order" in the module's docstring.
    payer_keys = (receipts.c.day, receipts.c.market_id, receipts.c.payer_key)
    connection.execute(
        target.insert().from_select(
            ["market_id", "day", "payer_key", "n", "commune_id", "district_id", "week", "month"],
            select(
                receipts.c.market_id,
                receipts.c.day,
                receipts.c.payer_key,
                func.count(),
                func.min(receipts.c.commune_id),
                func.min(receipts.c.district_id),
                func.min(calendar.c.week),
                func.min(calendar.c.month),
            )
            .join_from(receipts, calendar, calendar.c.day == receipts.c.day)
            .where(receipts.c.payer_key.is_not(None))
            .group_by(*payer_keys),
        )
    )


def _number_payers(connection: Connection, stage: Staged) -> Packing | None:
    """PostgreSQL: a dense number for each payer of the staged receipts (``stage.payer_ids``),
    and the packing of the payer counts' keys; None when there is nothing to count or a key
    could overflow."""
    receipts = stage.receipts
    calendar = stage.calendar
    ids = stage.payer_ids
    keys = select(receipts.c.payer_key).where(receipts.c.payer_key.is_not(None)).distinct()
    keys_sub = keys.subquery()
    numbered = select(keys_sub.c.payer_key, func.row_number().over())
    connection.execute(ids.insert().from_select(["payer_key", "payer_id"], numbered))
    connection.execute(text(f"ANALYZE {ids.name}"))
    payers = connection.execute(select(func.max(ids.c.payer_id))).scalar_one()
    days = select(
        func.min(func.least(calendar.c.week_number, calendar.c.month_number)),
        func.max(calendar.c.day_number),
    )
    first_day, last_day = connection.execute(days).one()
    units = market_units().subquery()
    unit_ids = (units.c.market_id, units.c.commune_id, units.c.district_id)
    lowest, highest = connection.execute(
        select(func.min(func.least(*unit_ids)), func.max(func.greatest(*unit_ids)))
    ).one()
    if payers is None or first_day is None or lowest is None or lowest < 0:
        return None  # no payer or no market (nothing to count), or ids the key cannot hold
    packing = Packing(
        payers=int(payers),
        first_day=int(first_day),
        days=int(last_day) - int(first_day) + 1,
        max_unit=int(highest),
    )
    return packing if packing.fits() else None


def _fill_sources(
    connection: Connection,
    stage: Staged,
    sources: Sources,
    dialect: str,
    lo: datetime,
    hi: datetime,
) -> None:
    """Latencies, attempts and cash: the passes that read the payments' tables (on SQLite the
    latencies come from the staged receipts when they can)."""
    _fill_latencies(connection, stage, sources, dialect, lo, hi)
    accounts = stage.accounts
    connection.execute(
        accounts.insert().from_select([c.name for c in accounts.columns], sources.accounts)
    )
    # Before the join: on PostgreSQL this pass may run before the staging tables are analyzed.
    connection.execute(text(f"ANALYZE {accounts.name}"))
    attempts = _dated(sources.attempts, dialect, lo, hi).subquery()
    connection.execute(
        stage.attempts.insert().from_select(
            ["market_id", "day", "attempts", "failures", "timeouts"],
            select(
                accounts.c.market_id,
                attempts.c.day,
                func.count(),
                func.sum(attempts.c.failed),
                func.sum(attempts.c.timed_out),
            )
            .join_from(
                attempts,
                accounts,
                (accounts.c.bank_bin == attempts.c.payee_bin)
                & (accounts.c.account_number == attempts.c.payee_account),
            )
            .group_by(attempts.c.day, accounts.c.market_id),
        )
    )
    if stage.cash is not None and sources.cash is not None:
        cash = _dated(sources.cash, dialect, lo, hi).subquery()
        connection.execute(stage.cash.insert().from_select(
            ["market_id", "day", "sales", "value_dong"],
            select(cash.c.market_id, cash.c.day, func.sum(cash.c.sales),
                   func.sum(cash.c.value_dong))
            .group_by(cash.c.day, cash.c.market_id),
        ))  # fmt: skip


@contextmanager
def counted_after(
    connection: Connection,
    payers: Table,
    fill: PayerFill,
    counts: Table,
    levels: Sequence[Level],
    periods: Sequence[Period],
    counted: Counted,
) -> Iterator[None]:
    """The plain ``PayerCounter``: the payers staged into ``payers``, counted on this
    connection after the rest."""
    packing = fill(payers)
    connection.execute(text(f"ANALYZE {payers.name}"))
    yield
    fill_payer_counts(connection, payers, counts, levels, periods, packing, counted)


def _fill_active(connection: Connection, stage: Staged, periods: Sequence[Period]) -> None:
    """Distinct active vendors per market and period start, from the staged vendor-days."""
    days = stage.vendor_days
    calendar = stage.calendar
    columns = ["market_id", "day", "period", "vendors"]
    for period in periods:
        if period is Period.DAY:
            # vendor-days are distinct already: one row per vendor.
            query = select(days.c.market_id, days.c.day, literal(period.value), func.count())
            query = query.group_by(days.c.day, days.c.market_id)
        else:
            start = calendar.c[_CALENDAR_COLUMN[period]]
            query = (
                select(
                    days.c.market_id,
                    start,
                    literal(period.value),
                    func.count(distinct(days.c.vendor_id)),
                )
                .join_from(days, calendar, calendar.c.day == days.c.day)
                .group_by(start, days.c.market_id)
            )
        connection.execute(stage.active.insert().from_select(columns, query))


def _fill_latencies(
    connection: Connection,
    stage: Staged,
    sources: Sources,
    dialect: str,
    lo: datetime,
    hi: datetime,
) -> None:
    """The (market, day, latency) histogram of the notices.

    On SQLite the receipts pass already looked up each receipt's notices (one probe into the
    events' credit index, in time order): when no receipt has more than one, the histogram is a
    grouping of the staged receipts instead of a second join of the period's credits with the
    events (4.6 s on 1M payments, half of it the sort). A receipt with several notices would
    need each one counted: then, and on PostgreSQL, the notices are read again.
    """
    receipts = stage.receipts
    columns = ["market_id", "day", "latency_ms", "n"]
    if dialect == "sqlite":
        several = select(receipts.c.notices).where(receipts.c.notices > 1).limit(1)
        if connection.execute(several).first() is None:
            keys = (receipts.c.market_id, receipts.c.day, receipts.c.latency_ms)
            by_day = (receipts.c.day, receipts.c.market_id, receipts.c.latency_ms)
            connection.execute(
                stage.latencies.insert().from_select(
                    columns,
                    select(*keys, func.count()).where(receipts.c.notices == 1).group_by(*by_day),
                )
            )
            return
    notices = _dated(sources.notices, dialect, lo, hi).subquery()
    latency = elapsed_ms(notices.c.at, notices.c.seen_at, dialect)
    connection.execute(
        stage.latencies.insert().from_select(
            columns,
            select(notices.c.market_id, notices.c.day, latency, func.count()).group_by(
                notices.c.day, notices.c.market_id, latency
            ),
        )
    )


def _fill_receipts(
    connection: Connection,
    table: Table,
    sources: Sources,
    dialect: str,
    lo: datetime,
    hi: datetime,
) -> None:
    receipts = _dated(sources.receipts, dialect, lo, hi).subquery()
    mapping = market_units().subquery()
    payer_rows = sources.payers.subquery()
    columns = [
        receipts.c.market_id,
        receipts.c.day,
        mapping.c.commune_id,
        mapping.c.district_id,
        receipts.c.vendor_id,
        receipts.c.amount_dong,
    ]
    # One payer per receipt, so a second completed switch record for the same transfer could
    # never count the receipt twice. SQLite looks each one up in the switch records' index (in
    # the receipts' time order); PostgreSQL would run such a subquery once per receipt, so it
    # hash-joins the payers grouped by transfer instead.
    if dialect == "postgresql":
        one_payer = (
            select(
                payer_rows.c.client_transfer_id,
                func.min(payer_rows.c.payer_key).label("payer_key"),
            )
            .group_by(payer_rows.c.client_transfer_id)
            .subquery()
        )
        query = (
            select(*columns, one_payer.c.payer_key, null(), null())
            .join_from(receipts, mapping, mapping.c.market_id == receipts.c.market_id)
            .outerjoin(one_payer, one_payer.c.client_transfer_id == receipts.c.client_transfer_id)
        )
    else:
        payer = (
            select(func.min(payer_rows.c.payer_key))
            .where(payer_rows.c.client_transfer_id == receipts.c.client_transfer_id)
            .scalar_subquery()
        )
        # The receipt's notices: their number, and the latency when there is exactly one.
        seen = sources.seen.subquery()
        mine = seen.c.credit_id == receipts.c.credit_id
        notices = select(func.count()).select_from(seen).where(mine).scalar_subquery()
        latency = (
            select(func.min(elapsed_ms(receipts.c.at, seen.c.seen_at, dialect)))
            .where(mine)
            .scalar_subquery()
        )
        query = select(*columns, payer, notices, latency).join_from(
            receipts, mapping, mapping.c.market_id == receipts.c.market_id
        )
    connection.execute(table.insert().from_select([c.name for c in table.columns], query))


def fill_calendar(connection: Connection, calendar: Table, first: date, end: date) -> None:
    """One row per local day in [first, end) with its week (from Monday) and month."""
    rows = []
    day = first
    while day < end:
        week = day - timedelta(days=day.weekday())
        month = day.replace(day=1)
        rows.append(
            {
                "day": day.isoformat(),
                "week": week.isoformat(),
                "month": month.isoformat(),
                "day_number": (day - EPOCH).days,
                "week_number": (week - EPOCH).days,
                "month_number": (month - EPOCH).days,
            }
        )
        day += timedelta(days=1)
    connection.execute(insert(calendar), rows)
