"""Day-by-day series for the dashboard's trend chart and forecasts, aggregated with SQL.

Days are Vietnamese calendar days (UTC+7); the database groups rows by day, and Python only
fills the gaps and accumulates one number per day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from merchant_app.pages.dashboard_data import (
    MAX_RANGE_DAYS,
    VIETNAM,
    DayFigures,
    Scope,
    scope_filter,
    vendor_places,
)
from payments.tables import credits, receiving_accounts


def _local_day(session: Session, column):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Ho_Chi_Minh", column))
    return func.date(column, "+7 hours")


def daily(session: Session, scope: Scope, start: datetime, end: datetime) -> list[DayFigures]:
    """Per Vietnamese day in [start, end): QR payments, value, active vendors, QR vendors so far."""
    places = vendor_places().subquery("places")
    in_scope = scope_filter(places, scope)
    day = _local_day(session, credits.c.created_at).label("day")
    paid = {
        str(d): (int(c), int(v), int(a))
        for d, c, v, a in session.execute(
            select(
                day,
                func.count(credits.c.id),
                func.sum(credits.c.amount_dong),
                func.count(distinct(credits.c.vendor_id)),
            )
            .join(places, places.c.vendor_id == credits.c.vendor_id)
            .where(in_scope, credits.c.created_at >= start, credits.c.created_at < end)
            .group_by(day)
        )
    }
    first_account = (
        select(
            receiving_accounts.c.vendor_id, func.min(receiving_accounts.c.created_at).label("at")
        )
        .group_by(receiving_accounts.c.vendor_id)
        .subquery("first_account")
    )
    adopted_day = _local_day(session, first_account.c.at).label("day")
    adopted = {
        str(d): int(n)
        for d, n in session.execute(
            select(adopted_day, func.count())
            .join(places, places.c.vendor_id == first_account.c.vendor_id)
            .where(in_scope, first_account.c.at < end)
            .group_by(adopted_day)
        )
    }
    first_day = start.astimezone(VIETNAM).date()
    days = (end.astimezone(VIETNAM).date() - first_day).days
    assert days <= MAX_RANGE_DAYS, "the page limits the range"
    before = sum(n for d, n in adopted.items() if d < first_day.isoformat())
    series = []
    for offset in range(days):
        current = first_day + timedelta(days=offset)
        before += adopted.get(current.isoformat(), 0)
        count, value, active = paid.get(current.isoformat(), (0, 0, 0))
        series.append(DayFigures(current, count, value, active, before))
    return series


def adopter_series(
    session: Session, scope: Scope, start: datetime, end: datetime
) -> dict[int, list[tuple[date, int]]]:
    """Per market in scope: vendors showing a QR code by the end of each day in [start, end)."""
    places = vendor_places().subquery("places")
    first_account = (
        select(
            receiving_accounts.c.vendor_id,
            func.min(receiving_accounts.c.created_at).label("at"),
        )
        .group_by(receiving_accounts.c.vendor_id)
        .subquery("first_account")
    )
    day = _local_day(session, first_account.c.at).label("day")
    counts: dict[int, dict[str, int]] = {}
    for market_id, adopted_on, n in session.execute(
        select(places.c.market_id, day, func.count())
        .select_from(places)
        .join(first_account, first_account.c.vendor_id == places.c.vendor_id)
        .where(scope_filter(places, scope), first_account.c.at < end)
        .group_by(places.c.market_id, day)
    ):
        counts.setdefault(int(market_id), {})[str(adopted_on)] = int(n)
    first_day = start.astimezone(VIETNAM).date()
    days = (end.astimezone(VIETNAM).date() - first_day).days
    series: dict[int, list[tuple[date, int]]] = {}
    for market_id, by_day in counts.items():
        total = sum(n for d, n in by_day.items() if d < first_day.isoformat())
        points = []
        for offset in range(days):
            current = first_day + timedelta(days=offset)
            total += by_day.get(current.isoformat(), 0)
            points.append((current, total))
        series[market_id] = points
    return series
