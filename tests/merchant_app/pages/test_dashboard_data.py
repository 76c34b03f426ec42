"""The dashboard's SQL figures agree with a count made in Python over the same seeded world.

The world is the statistics tests' one (raw rows in payments' tables, kept in Python too), so
both summaries are checked against the same independent copy.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from merchant_app.pages import dashboard_data as data
from merchant_app.pages import dashboard_series as series_data
from merchant_app.pages.dashboard_data import Level, Scope
from tests.payments.stats.world import DAYS, FIRST_DAY, World, build_world

LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)


def _expected(world: World, market_ids: set[int]) -> dict[str, int]:
    start, end = data.window(FIRST_DAY, LAST_DAY)
    in_scope = [v for v in world.vendors if v[1] in market_ids]
    receipts = [r for r in world.receipts if r.market_id in market_ids and start <= r.at < end]
    attempts = [a for a in world.attempts if a.market_id in market_ids and start <= a.at < end]
    return {
        "vendors": sum(1 for v in in_scope if v[2] < end),
        "vendors_qr": sum(1 for v in in_scope if v[3] is not None and v[3] < end),
        "vendors_active": len({r.vendor_id for r in receipts}),
        "qr_count": len(receipts),
        "qr_value_dong": sum(r.amount_dong for r in receipts),
        "payers": len({r.payer for r in receipts}),
        "failures": sum(1 for a in attempts if a.status != "completed"),
    }


def test_province_and_market_figures_match_an_independent_count(db: Engine) -> None:
    world = build_world(db)
    start, end = data.window(FIRST_DAY, LAST_DAY)
    with Session(db) as session:
        province = data.figures(session, Scope(Level.PROVINCE), Level.PROVINCE, start, end)
        per_market = data.figures(session, Scope(Level.PROVINCE), Level.MARKET, start, end)
        commune_one = data.figures(session, Scope(Level.COMMUNE, 1), Level.MARKET, start, end)
    assert province[0] == _expected(world, {1, 2, 3, 4})
    for market_id in (1, 2, 3, 4):
        expected = _expected(world, {market_id})
        got = {**dict.fromkeys(expected, 0), **per_market.get(market_id, {})}
        assert got == expected, market_id
    assert set(commune_one) <= {1, 2}  # only commune 1's markets
    assert province[0]["qr_count"] > 0
    assert province[0]["failures"] > 0


def test_daily_series_counts_each_payment_on_its_vietnamese_day(db: Engine) -> None:
    world = build_world(db)
    start, end = data.window(FIRST_DAY, LAST_DAY)
    with Session(db) as session:
        series = series_data.daily(session, Scope(Level.DISTRICT, 1), start, end)
    district_markets = {m for m, (_c, d) in world.market_parent.items() if d == 1}
    by_day = Counter(
        (r.at + timedelta(hours=7)).date()
        for r in world.receipts
        if r.market_id in district_markets
    )
    assert [d.day for d in series] == [FIRST_DAY + timedelta(days=i) for i in range(DAYS)]
    assert {d.day: d.qr_count for d in series if d.qr_count} == dict(by_day)
    adopted = sorted(
        (v[3] + timedelta(hours=7)).date()
        for v in world.vendors
        if v[1] in district_markets and v[3] is not None and v[3] < end
    )
    assert series[-1].vendors_qr_cumulative == len(adopted)
    cumulative = [d.vendors_qr_cumulative for d in series]
    assert cumulative == sorted(cumulative)


def test_lineage_and_children_follow_the_directory(db: Engine) -> None:
    build_world(db)
    with Session(db) as session:
        lineage = data.lineage(session, Scope(Level.MARKET, 3))
        communes = data.area_names(session, Level.COMMUNE, Scope(Level.DISTRICT, 1))
        missing = data.lineage(session, Scope(Level.MARKET, 999))
    assert [(level, area) for level, area, _ in lineage] == [
        (Level.DISTRICT, 1),
        (Level.COMMUNE, 2),
        (Level.MARKET, 3),
    ]
    assert [name for _, name in communes] == ["Hùng Sơn", "Tân Linh"]
    assert missing == []


def test_adopter_series_per_market_matches_first_qr_day(db: Engine) -> None:
    world = build_world(db)
    start, end = data.window(FIRST_DAY, LAST_DAY)
    with Session(db) as session:
        series = series_data.adopter_series(session, Scope(Level.PROVINCE), start, end)
    for market_id, points in series.items():
        for day, count in points:
            expected = sum(
                1
                for v in world.vendors
                if v[1] == market_id
                and v[3] is not None
                and (v[3] + timedelta(hours=7)).date() <= day
            )
            assert count == expected, (market_id, day)
