"""Adoption figures for the officials' dashboard, aggregated with SQL inside the database.

Only counts and sums leave the database: no buyer name, phone or account is ever selected, so no
page or export built from these records can show one. Days are Vietnamese calendar days
(UTC+7, no daylight saving).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    distinct,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.orm import Session

from payments.tables import (
    communes,
    credits,
    districts,
    markets,
    receiving_accounts,
    switch_messages,
    vendors,
)

VIETNAM = timezone(timedelta(hours=7))
MAX_RANGE_DAYS = 366


class Level(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    MARKET = "market"


@dataclass(frozen=True)
class Scope:
    """Where the official is looking: the whole province, or one district/commune/market."""

    level: Level
    area_id: int | None = None


@dataclass(frozen=True)
class Figures:
    key: int
    name: str
    vendors: int
    vendors_qr: int
    vendors_active: int
    qr_count: int
    qr_value_dong: int
    payers: int
    failures: int

    @property
    def share_qr_pct(self) -> int:
        return round(100 * self.vendors_qr / self.vendors) if self.vendors else 0

    @property
    def share_active_pct(self) -> int:
        return round(100 * self.vendors_active / self.vendors) if self.vendors else 0


@dataclass(frozen=True)
class DayFigures:
    day: date
    qr_count: int
    qr_value_dong: int
    vendors_active: int
    vendors_qr_cumulative: int


def window(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC covering the Vietnamese days date_from..date_to inclusive."""
    start = datetime.combine(date_from, time(0), VIETNAM)
    end = datetime.combine(date_to + timedelta(days=1), time(0), VIETNAM)
    return start.astimezone(UTC), end.astimezone(UTC)


def vendor_places() -> Select[tuple[int, int, int, int]]:
    """vendor id -> market, commune, district (a subquery every figure joins on)."""
    return (
        select(
            vendors.c.id.label("vendor_id"),
            markets.c.id.label("market_id"),
            communes.c.id.label("commune_id"),
            districts.c.id.label("district_id"),
        )
        .join(markets, markets.c.id == vendors.c.market_id)
        .join(communes, communes.c.id == markets.c.commune_id)
        .join(districts, districts.c.id == communes.c.district_id)
    )


def scope_filter(places, scope: Scope) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    if scope.level is Level.PROVINCE:
        return true()
    column = {
        Level.DISTRICT: places.c.district_id,
        Level.COMMUNE: places.c.commune_id,
        Level.MARKET: places.c.market_id,
    }[scope.level]
    condition: ColumnElement[bool] = column == scope.area_id
    return condition


def _group_column(places, level: Level):  # type: ignore[no-untyped-def]
    return {
        Level.PROVINCE: literal_column("0"),
        Level.DISTRICT: places.c.district_id,
        Level.COMMUNE: places.c.commune_id,
        Level.MARKET: places.c.market_id,
    }[level]


@dataclass(frozen=True)
class _Frame:
    """The parts every indicator query shares: vendors' places, the scope, the grouping."""

    places: Any
    in_scope: ColumnElement[bool]
    key: Any
    group: list[Any]
    start: datetime
    end: datetime

    def select(self, *columns: Any) -> Select[Any]:
        return select(self.key, *columns).select_from(self.places)


def figures(
    session: Session, scope: Scope, group_by: Level, start: datetime, end: datetime
) -> dict[int, dict[str, int]]:
    """Indicators per area of ``group_by`` level inside ``scope``, for [start, end)."""
    places = vendor_places().subquery("places")
    key_column = _group_column(places, group_by)
    group = [] if group_by is Level.PROVINCE else [key_column]
    frame = _Frame(places, scope_filter(places, scope), key_column.label("key"), group, start, end)
    rows: dict[int, dict[str, int]] = {}
    queries = {
        ("vendors",): _registered(frame),
        ("vendors_qr",): _with_qr(frame),
        ("vendors_active", "qr_count", "qr_value_dong"): _paid(frame),
        ("payers",): _payers(frame),
        ("failures",): _failures(frame),
    }
    for names, query in queries.items():
        for area, *values in session.execute(query):
            target = rows.setdefault(int(area), {})
            target.update(
                {name: int(value or 0) for name, value in zip(names, values, strict=True)}
            )
    return rows


def _registered(frame: _Frame) -> Select[Any]:
    p = frame.places
    return (
        frame.select(func.count(distinct(p.c.vendor_id)))
        .join(vendors, vendors.c.id == p.c.vendor_id)
        .where(frame.in_scope, vendors.c.created_at < frame.end)
        .group_by(*frame.group)
    )


def _with_qr(frame: _Frame) -> Select[Any]:
    p = frame.places
    return (
        frame.select(func.count(distinct(p.c.vendor_id)))
        .join(receiving_accounts, receiving_accounts.c.vendor_id == p.c.vendor_id)
        .where(frame.in_scope, receiving_accounts.c.created_at < frame.end)
        .group_by(*frame.group)
    )


def _credit_window(frame: _Frame) -> ColumnElement[bool]:
    return and_(credits.c.created_at >= frame.start, credits.c.created_at < frame.end)


def _paid(frame: _Frame) -> Select[Any]:
    return (
        frame.select(
            func.count(distinct(credits.c.vendor_id)),
            func.count(credits.c.id),
            func.coalesce(func.sum(credits.c.amount_dong), 0),
        )
        .join(credits, credits.c.vendor_id == frame.places.c.vendor_id)
        .where(frame.in_scope, _credit_window(frame))
        .group_by(*frame.group)
    )


def _payers(frame: _Frame) -> Select[Any]:
    # Distinct payers are counted inside the database; no payer identity leaves it.
    payer = switch_messages.c.payer_bin + literal(":") + switch_messages.c.payer_account
    return (
        frame.select(func.count(distinct(payer)))
        .join(credits, credits.c.vendor_id == frame.places.c.vendor_id)
        .join(switch_messages, switch_messages.c.client_transfer_id == credits.c.client_transfer_id)
        .where(frame.in_scope, _credit_window(frame), switch_messages.c.status == "completed")
        .group_by(*frame.group)
    )


def _failures(frame: _Frame) -> Select[Any]:
    to_vendor = and_(
        switch_messages.c.payee_bin == receiving_accounts.c.bank_bin,
        switch_messages.c.payee_account == receiving_accounts.c.account_number,
    )
    return (
        frame.select(func.count(distinct(switch_messages.c.client_transfer_id)))
        .join(receiving_accounts, receiving_accounts.c.vendor_id == frame.places.c.vendor_id)
        .join(switch_messages, to_vendor)
        .where(
            frame.in_scope,
            switch_messages.c.status != "completed",
            switch_messages.c.created_at >= frame.start,
            switch_messages.c.created_at < frame.end,
        )
        .group_by(*frame.group)
    )


def area_names(session: Session, level: Level, parent: Scope) -> list[tuple[int, str]]:
    """The areas one level below ``parent`` (id, name), sorted by name."""
    if level is Level.DISTRICT:
        query = select(districts.c.id, districts.c.name).order_by(districts.c.name)
    elif level is Level.COMMUNE:
        query = (
            select(communes.c.id, communes.c.name)
            .where(communes.c.district_id == parent.area_id)
            .order_by(communes.c.name)
        )
    else:
        query = (
            select(markets.c.id, markets.c.name)
            .where(markets.c.commune_id == parent.area_id)
            .order_by(markets.c.name)
        )
    return [(int(i), str(n)) for i, n in session.execute(query)]


def markets_in(session: Session, scope: Scope) -> list[tuple[int, str]]:
    """Every market inside the scope (for the ranking), id and name."""
    query = (
        select(markets.c.id, markets.c.name)
        .join(communes, communes.c.id == markets.c.commune_id)
        .join(districts, districts.c.id == communes.c.district_id)
    )
    if scope.level is Level.DISTRICT:
        query = query.where(districts.c.id == scope.area_id)
    elif scope.level is Level.COMMUNE:
        query = query.where(communes.c.id == scope.area_id)
    elif scope.level is Level.MARKET:
        query = query.where(markets.c.id == scope.area_id)
    return [(int(i), str(n)) for i, n in session.execute(query.order_by(markets.c.name))]


def lineage(session: Session, scope: Scope) -> list[tuple[Level, int, str]]:
    """The district, commune and market above and at the scope (for the breadcrumb)."""
    if scope.level is Level.PROVINCE:
        return []
    if scope.level is Level.DISTRICT:
        query = select(districts.c.id, districts.c.name).where(districts.c.id == scope.area_id)
        return [(Level.DISTRICT, int(i), str(n)) for i, n in session.execute(query)]
    if scope.level is Level.COMMUNE:
        row = session.execute(
            select(districts.c.id, districts.c.name, communes.c.id, communes.c.name)
            .join(communes, communes.c.district_id == districts.c.id)
            .where(communes.c.id == scope.area_id)
        ).first()
        if row is None:
            return []
        return [(Level.DISTRICT, row[0], row[1]), (Level.COMMUNE, row[2], row[3])]
    full = session.execute(
        select(
            districts.c.id,
            districts.c.name,
            communes.c.id,
            communes.c.name,
            markets.c.id,
            markets.c.name,
        )
        .join(communes, communes.c.district_id == districts.c.id)
        .join(markets, markets.c.commune_id == communes.c.id)
        .where(markets.c.id == scope.area_id)
    ).first()
    if full is None:
        return []
    return [
        (Level.DISTRICT, full[0], full[1]),
        (Level.COMMUNE, full[2], full[3]),
        (Level.MARKET, full[4], full[5]),
    ]
