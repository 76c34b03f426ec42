"""Summary rows computed in SQL equal an independent count over the raw rows, on both databases."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from payments.stats.refresh import StatsInputError, local_midnight_utc, period_bounds, refresh
from payments.stats.sources import PROVINCE_UNIT_ID, Level, payments_sources
from payments.stats.sql import VIETNAM_UTC_OFFSET_H, Period
from payments.stats.tables import adoption
from payments.stats.tables import metadata as stats_metadata
from tests.payments.stats.world import DAYS, FIRST_DAY, World, build_world, cash_source

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)


def _local_day(at: datetime) -> date:
    return (at + timedelta(hours=VIETNAM_UTC_OFFSET_H)).date()


def _unit(world: World, market_id: int, level: Level) -> int:
    commune, district = world.market_parent[market_id]
    return {
        Level.MARKET: market_id,
        Level.COMMUNE: commune,
        Level.DISTRICT: district,
        Level.PROVINCE: PROVINCE_UNIT_ID,
    }[level]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def expected(
    world: World, level: Level, period: Period
) -> dict[tuple[int, date], dict[str, object]]:
    """Every figure, counted in plain Python from the rows the world inserted."""
    bounds = period_bounds(FIRST_DAY, LAST_DAY, period)

    def bucket(at: datetime) -> date | None:
        day = _local_day(at)
        return next((start for start, end in bounds if start <= day < end), None)

    units = {_unit(world, market, level) for market in world.market_parent}
    rows: dict[tuple[int, date], dict[str, object]] = {}
    for unit in units:
        for start, end in bounds:
            end_at = local_midnight_utc(end)
            mine = [v for v in world.vendors if _unit(world, v[1], level) == unit]
            receipts = [
                r
                for r in world.receipts
                if _unit(world, r.market_id, level) == unit and bucket(r.at) == start
            ]
            attempts = [
                a
                for a in world.attempts
                if _unit(world, a.market_id, level) == unit and bucket(a.at) == start
            ]
            cash = [
                c for c in world.cash if _unit(world, c[0], level) == unit and bucket(c[2]) == start
            ]
            payers = Counter(r.payer for r in receipts)
            latencies = [(r.seen_at - r.at).total_seconds() * 1000 for r in receipts]
            rows[(unit, start)] = {
                "vendors_registered": sum(1 for v in mine if v[2] < end_at),
                "vendors_with_qr": sum(1 for v in mine if v[2] < end_at and v[3] and v[3] < end_at),
                "active_qr_vendors": len({r.vendor_id for r in receipts}),
                "qr_count": len(receipts),
                "qr_value_dong": sum(r.amount_dong for r in receipts),
                "cash_count": len(cash),
                "cash_value_dong": sum(c[1] for c in cash),
                "unique_payers": len(payers),
                "repeat_payers": sum(1 for n in payers.values() if n >= 2),
                "median_ticket_dong": statistics.median([r.amount_dong for r in receipts])
                if receipts
                else None,
                "attempts": len(attempts),
                "failures": sum(1 for a in attempts if a.status != "completed"),
                "timeouts": sum(1 for a in attempts if a.status == "timeout"),
                "notify_p50_ms": _percentile(latencies, 0.5) if latencies else None,
                "notify_p95_ms": _percentile(latencies, 0.95) if latencies else None,
            }
    return rows


@pytest.mark.parametrize(
    "second_district_id",
    [
        2,
        # Beyond PostgreSQL's packed payer keys: its payer counts group the text keys instead.
        -2,
    ],
)
def test_every_level_and_period_matches_the_independent_count(
    db: Engine, second_district_id: int
) -> None:
    world = build_world(db, second_district_id=second_district_id)
    stats_metadata.create_all(db)
    with db.begin() as connection:
        refresh(connection, FIRST_DAY, LAST_DAY, sources=payments_sources(cash_source()), now=NOW)
    assert world.receipts, "the world must contain QR payments"
    with db.connect() as connection:
        for level in Level:
            for period in Period:
                want = expected(world, level, period)
                got_rows = (
                    connection.execute(
                        select(adoption).where(
                            adoption.c.level == level.value, adoption.c.period == period.value
                        )
                    )
                    .mappings()
                    .all()
                )
                got = {(row["unit_id"], row["period_start"]): row for row in got_rows}
                assert set(got) == set(want), (level, period)
                for key, figures in want.items():
                    for name, value in figures.items():
                        actual = got[key][name]
                        if isinstance(value, float) and actual is not None:
                            assert actual == pytest.approx(value, abs=0.01), (
                                level,
                                period,
                                key,
                                name,
                            )
                        else:
                            assert actual == value, (level, period, key, name)


def test_refreshing_twice_replaces_rows_instead_of_adding(db: Engine) -> None:
    build_world(db)
    stats_metadata.create_all(db)
    sources = payments_sources(cash_source())
    with db.begin() as connection:
        first = refresh(connection, FIRST_DAY, LAST_DAY, sources=sources, now=NOW)
        again = refresh(connection, FIRST_DAY, LAST_DAY, sources=sources, now=NOW)
        stored = connection.execute(select(func.count()).select_from(adoption)).scalar_one()
    assert first == again == stored
    # markets × (10 days + 2 weeks + 2 months), and the same for communes, districts, province
    assert stored == (4 + 3 + 2 + 1) * (DAYS + 2 + 2)


def test_a_backwards_range_is_refused_and_writes_nothing(db: Engine) -> None:
    build_world(db)
    stats_metadata.create_all(db)
    with db.begin() as connection, pytest.raises(StatsInputError, match="before the start"):
        refresh(connection, LAST_DAY, FIRST_DAY, sources=payments_sources(cash_source()), now=NOW)
    with db.connect() as connection:
        assert connection.execute(select(func.count()).select_from(adoption)).scalar_one() == 0


def test_report_rows_derive_shares_and_growth_from_stored_figures(db: Engine) -> None:
    from payments.stats.report import read_adoption, refresh_all

    build_world(db)
    refresh_all(db, now=NOW, cash=cash_source(), first=FIRST_DAY, last=LAST_DAY)
    with db.connect() as connection:
        days = read_adoption(connection, Level.PROVINCE, Period.DAY)
    assert [row.period_start for row in days] == [
        FIRST_DAY + timedelta(days=offset) for offset in range(DAYS)
    ]
    for before, row in itertools.pairwise(days):
        assert row.previous_qr_count == before.qr_count
        assert row.growth_qr_count == pytest.approx(row.qr_count / before.qr_count - 1)
    sample = days[3]
    assert sample.qr_share_of_sales_count == pytest.approx(
        sample.qr_count / (sample.qr_count + sample.cash_count)
    )
    assert sample.share_with_qr == pytest.approx(sample.vendors_with_qr / sample.vendors_registered)
    assert days[0].growth_qr_count is None


def test_without_cash_observations_qr_share_of_sales_is_unknown_not_full(db: Engine) -> None:
    from payments.stats.report import read_adoption, refresh_all

    build_world(db)
    refresh_all(db, now=NOW, cash=None, first=FIRST_DAY, last=LAST_DAY)
    with db.connect() as connection:
        rows = read_adoption(connection, Level.MARKET, Period.MONTH)
    assert rows
    assert all(row.cash_count is None and row.qr_share_of_sales_count is None for row in rows)
    assert any(row.qr_count > 0 for row in rows)


def test_a_duplicate_completed_switch_record_does_not_count_a_payment_twice(db: Engine) -> None:
    from payments.tables import switch_messages

    world = build_world(db)
    stats_metadata.create_all(db)
    with db.begin() as connection:
        completed = (
            connection.execute(
                select(switch_messages).where(switch_messages.c.status == "completed").limit(1)
            )
            .mappings()
            .one()
        )
        duplicate = {key: value for key, value in completed.items() if key != "id"}
        connection.execute(switch_messages.insert(), duplicate)
        refresh(connection, FIRST_DAY, LAST_DAY, sources=payments_sources(cash_source()), now=NOW)
        rows = (
            connection.execute(
                select(adoption).where(
                    adoption.c.level == Level.PROVINCE.value,
                    adoption.c.period == Period.MONTH.value,
                )
            )
            .mappings()
            .all()
        )
    want = expected(world, Level.PROVINCE, Period.MONTH)
    for row in rows:
        figures = want[(row["unit_id"], row["period_start"])]
        for name in ("qr_count", "qr_value_dong", "unique_payers", "repeat_payers"):
            assert row[name] == figures[name], name


def test_bulk_session_restores_the_connections_settings(db: Engine) -> None:
    from sqlalchemy import text

    from payments.stats.bulk import bulk_session

    if db.dialect.name == "postgresql":
        # SET LOCAL: widened inside the job's transaction, the session's own values after it.
        # A new session (temp_buffers can only change before it touches a temporary table).
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        settings = ("work_mem", "jit", "temp_buffers")
        fresh = create_engine(db.url, poolclass=NullPool)
        with fresh.connect() as connection:
            before = [connection.execute(text(f"SHOW {s}")).scalar_one() for s in settings]
            connection.commit()
            with connection.begin(), bulk_session(connection):
                during = [connection.execute(text(f"SHOW {s}")).scalar_one() for s in settings]
            after = [connection.execute(text(f"SHOW {s}")).scalar_one() for s in settings]
        fresh.dispose()
        assert during == ["256MB", "off", "256MB"]
        assert during != before
        assert after == before
        return
    pragmas = ("cache_size", "mmap_size")
    with db.connect() as connection:
        before = [connection.execute(text(f"PRAGMA {p}")).scalar_one() for p in pragmas]
        with bulk_session(connection):
            during = [connection.execute(text(f"PRAGMA {p}")).scalar_one() for p in pragmas]
        after = [connection.execute(text(f"PRAGMA {p}")).scalar_one() for p in pragmas]
    assert during != before
    assert after == before


def test_a_receipt_with_two_notices_counts_both_latencies(db: Engine) -> None:
    """Each notice is one latency: a second one for a receipt must not be dropped (SQLite takes
    the latencies from the staged receipts only while every receipt has at most one)."""
    from payments.tables import events

    world = build_world(db)
    stats_metadata.create_all(db)
    receipt = world.receipts[0]
    late = receipt.at + timedelta(hours=10)
    with db.begin() as connection:
        first = connection.execute(select(events).order_by(events.c.seq).limit(1)).mappings().one()
        second = {key: value for key, value in first.items() if key != "seq"}
        connection.execute(events.insert(), {**second, "event_id": "again", "visible_at": late})
        refresh(connection, FIRST_DAY, LAST_DAY, sources=payments_sources(cash_source()), now=NOW)
        row = (
            connection.execute(
                select(adoption).where(
                    adoption.c.level == Level.MARKET.value,
                    adoption.c.period == Period.DAY.value,
                    adoption.c.unit_id == receipt.market_id,
                    adoption.c.period_start == _local_day(receipt.at),
                )
            )
            .mappings()
            .one()
        )
    same_day = [
        r
        for r in world.receipts
        if r.market_id == receipt.market_id and _local_day(r.at) == _local_day(receipt.at)
    ]
    latencies = [(r.seen_at - r.at).total_seconds() * 1000 for r in same_day]
    latencies.append((late - receipt.at).total_seconds() * 1000)
    assert row["qr_count"] == len(same_day)
    assert row["notify_p50_ms"] == pytest.approx(_percentile(latencies, 0.5), abs=0.01)
    assert row["notify_p95_ms"] == pytest.approx(_percentile(latencies, 0.95), abs=0.01)
