"""Reading the adoption summary: stored figures plus the derived ones (shares, averages, growth).

Growth is computed in SQL with ``LAG`` over each unit's periods; shares and averages are ratios
of one row's own columns. Only summary rows are read, never payments. No buyer data exists in
these rows (payers are counts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine, func, select, union_all

from payments.stats.forecast import MarketForecast, forecast_market
from payments.stats.refresh import StatsInputError, compute, publish
from payments.stats.sources import Level, payments_sources
from payments.stats.sql import VIETNAM_UTC_OFFSET_H, Period, Rows
from payments.stats.tables import adoption
from payments.tables import credits, switch_messages, vendors

MAX_REPORT_ROWS = 50_000  # a province's markets × two years of days fits well within this


@dataclass(frozen=True)
class AdoptionRow:
    level: str
    unit_id: int
    unit_name: str
    parent_id: int | None
    period: str
    period_start: date
    vendors_registered: int
    vendors_with_qr: int
    active_qr_vendors: int
    qr_count: int
    qr_value_dong: int
    cash_count: int | None
    cash_value_dong: int | None
    unique_payers: int
    repeat_payers: int
    median_ticket_dong: float | None
    attempts: int
    failures: int
    timeouts: int
    notify_p50_ms: float | None
    notify_p95_ms: float | None
    previous_qr_count: int | None
    previous_qr_value_dong: int | None

    @property
    def share_with_qr(self) -> float | None:
        return _ratio(self.vendors_with_qr, self.vendors_registered)

    @property
    def share_active(self) -> float | None:
        return _ratio(self.active_qr_vendors, self.vendors_registered)

    @property
    def qr_share_of_sales_count(self) -> float | None:
        if self.cash_count is None:
            return None
        return _ratio(self.qr_count, self.qr_count + self.cash_count)

    @property
    def qr_share_of_sales_value(self) -> float | None:
        if self.cash_value_dong is None:
            return None
        return _ratio(self.qr_value_dong, self.qr_value_dong + self.cash_value_dong)

    @property
    def average_ticket_dong(self) -> float | None:
        return _ratio(self.qr_value_dong, self.qr_count)

    @property
    def failure_rate(self) -> float | None:
        return _ratio(self.failures, self.attempts)

    @property
    def timeout_rate(self) -> float | None:
        return _ratio(self.timeouts, self.attempts)

    @property
    def growth_qr_count(self) -> float | None:
        """Change against the previous period (0.25 = +25%); None without a base."""
        if not self.previous_qr_count:
            return None
        return self.qr_count / self.previous_qr_count - 1.0

    @property
    def growth_qr_value(self) -> float | None:
        if not self.previous_qr_value_dong:
            return None
        return self.qr_value_dong / self.previous_qr_value_dong - 1.0

    def as_dict(self) -> dict[str, object]:
        fields = dict(self.__dict__)
        fields["period_start"] = self.period_start.isoformat()
        for name in DERIVED:
            fields[name] = getattr(self, name)
        return fields


DERIVED = (
    "share_with_qr",
    "share_active",
    "qr_share_of_sales_count",
    "qr_share_of_sales_value",
    "average_ticket_dong",
    "failure_rate",
    "timeout_rate",
    "growth_qr_count",
    "growth_qr_value",
)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def read_adoption(
    connection: Connection,
    level: Level,
    period: Period,
    *,
    first: date | None = None,
    last: date | None = None,
    unit_id: int | None = None,
) -> list[AdoptionRow]:
    """Stored rows of one level and period, oldest first, each with its previous period's."""
    order = adoption.c.period_start
    partition = adoption.c.unit_id
    inner = select(
        adoption,
        func.lag(adoption.c.qr_count).over(partition_by=partition, order_by=order).label("pc"),
        func.lag(adoption.c.qr_value_dong).over(partition_by=partition, order_by=order).label("pv"),
    ).where(adoption.c.level == level.value, adoption.c.period == period.value)
    if unit_id is not None:
        inner = inner.where(adoption.c.unit_id == unit_id)
    rows = inner.subquery()
    query = select(rows).order_by(rows.c.period_start, rows.c.unit_id).limit(MAX_REPORT_ROWS)
    if first is not None:
        query = query.where(rows.c.period_start >= first)
    if last is not None:
        query = query.where(rows.c.period_start <= last)
    return [
        AdoptionRow(
            row.level, row.unit_id, row.unit_name, row.parent_id, row.period,
            _as_date(row.period_start), row.vendors_registered, row.vendors_with_qr,
            row.active_qr_vendors, row.qr_count, row.qr_value_dong, row.cash_count,
            row.cash_value_dong, row.unique_payers, row.repeat_payers, row.median_ticket_dong,
            row.attempts, row.failures, row.timeouts, row.notify_p50_ms, row.notify_p95_ms,
            row.pc, row.pv,
        )
        for row in connection.execute(query)
    ]  # fmt: skip


def activity_range(connection: Connection) -> tuple[date, date] | None:
    """First and last local day with any payment activity (None on an empty database)."""
    times = union_all(
        select(
            func.min(switch_messages.c.created_at).label("lo"),
            func.max(switch_messages.c.created_at).label("hi"),
        ),
        select(func.min(credits.c.created_at), func.max(credits.c.created_at)),
        select(func.min(vendors.c.created_at), func.max(vendors.c.created_at)),
    ).subquery()
    lo, hi = connection.execute(select(func.min(times.c.lo), func.max(times.c.hi))).one()
    if lo is None:
        return None
    shift = timedelta(hours=VIETNAM_UTC_OFFSET_H)
    return _local_day(lo, shift), _local_day(hi, shift)


def _local_day(value: object, shift: timedelta) -> date:
    if isinstance(value, str):  # a driver that returns MIN()/MAX() of timestamps as text
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime), value
    utc = (
        value.replace(tzinfo=None)
        if value.tzinfo is None
        else value.astimezone(UTC).replace(tzinfo=None)
    )
    return (utc + shift).date()


def refresh_all(
    engine: Engine,
    *,
    now: datetime,
    cash: Rows | None,
    first: date | None = None,
    last: date | None = None,
) -> int:
    """Refresh the summary for ``first``..``last`` (default: every day with activity).

    The month is read without SQLite's write lock (a ``DEFERRED`` transaction, one snapshot):
    payments keep being written during the read, which takes tens of seconds on a million
    payments. The rows are then published in a short write transaction of their own. About half
    of the payer counts run on a second connection (``shared.py``)."""
    with prepared_refresh(engine, now=now, cash=cash, first=first, last=last) as publish_rows:
        return publish_rows()


@contextmanager
def prepared_refresh(
    engine: Engine,
    *,
    now: datetime,
    cash: Rows | None,
    first: date | None = None,
    last: date | None = None,
) -> Iterator[Callable[[], int]]:
    """``refresh_all`` in two steps: the rows are computed on entering, and the block calls the
    function it is given to publish them (rows written), or leaves without publishing."""
    with engine.connect() as connection:
        connection.execution_options(sqlite_begin="DEFERRED")
        try:
            if first is None or last is None:
                span = activity_range(connection)
                if span is None:
                    raise StatsInputError("no payment activity recorded yet: nothing to summarize")
                first = span[0] if first is None else first
                last = span[1] if last is None else last
            sources = payments_sources(cash)
            result = compute(connection, first, last, sources=sources, now=now, helpers=engine)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise

        def publish_rows() -> int:
            connection.execution_options(sqlite_begin="IMMEDIATE")
            with connection.begin():
                return publish(connection, result)

        try:
            yield publish_rows
        finally:
            if connection.in_transaction():
                connection.rollback()
            with connection.begin():
                result.table.drop(connection)


def market_forecasts(connection: Connection, *, target: date) -> list[MarketForecast]:
    """A Bass fit per market over its stored daily vendors-with-QR series."""
    series: dict[int, tuple[str, int, list[tuple[date, int]]]] = {}
    for row in read_adoption(connection, Level.MARKET, Period.DAY):
        name, _vendors, points = series.setdefault(row.unit_id, (row.unit_name, 0, []))
        points.append((row.period_start, row.vendors_with_qr))
        series[row.unit_id] = (name, row.vendors_registered, points)
    return [
        forecast_market(market_id, name, vendors_now, points, target=target)
        for market_id, (name, vendors_now, points) in sorted(series.items())
    ]
