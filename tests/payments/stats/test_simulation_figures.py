"""Statistics over a real simulation equal the simulation's own tallies and a direct count of
its raw records, on both databases."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from payments.simulation.calibration import with_values
from payments.simulation.engine import Simulation
from payments.simulation.observations import cash_source
from payments.simulation.scenario import load_scenario
from payments.simulation.tables import sim_markets
from payments.stats.report import read_adoption, refresh_all
from payments.stats.sources import Level
from payments.stats.sql import VIETNAM_UTC_OFFSET_H, Period
from payments.tables import credits, switch_messages, vendors

DAYS = 10
SMALL_MARKETS = ["dai-tu", "la-bang"]
NOW = datetime(2030, 1, 1, tzinfo=UTC)
NO_FAULTS = {
    f"faults.{name}": 0.0
    for name in (
        "timeout_before_commit", "timeout_after_commit", "bank_offline", "insufficient_funds",
        "amount_over_limit", "duplicate_notification", "delayed_notification",
        "timeout_per_missing_connectivity",
    )
}  # fmt: skip


def _local_day(moment: datetime) -> object:
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return (utc + timedelta(hours=VIETNAM_UTC_OFFSET_H)).date()


def test_figures_match_the_simulation_and_its_raw_records(db: Engine) -> None:
    # Without faults every sale the simulation counts as QR is exactly one vendor credit.
    scenario = with_values(load_scenario("thai-nguyen"), NO_FAULTS)
    simulation = Simulation(db, scenario, days=DAYS, scale=0.5, only=SMALL_MARKETS)
    simulation.run()
    first = scenario.start
    last = first + timedelta(days=DAYS - 1)
    refresh_all(db, now=NOW, cash=cash_source(), first=first, last=last)
    with db.connect() as connection:
        market_of_key = dict(
            connection.execute(select(sim_markets.c.market_key, sim_markets.c.market_id)).all()
        )
        days = read_adoption(connection, Level.MARKET, Period.DAY, first=first, last=last)
        weeks = read_adoption(connection, Level.MARKET, Period.WEEK)
        raw = connection.execute(
            select(
                vendors.c.market_id,
                credits.c.amount_dong,
                credits.c.created_at,
                switch_messages.c.payer_bin,
                switch_messages.c.payer_account,
            )
            .join_from(credits, vendors, vendors.c.id == credits.c.vendor_id)
            .join(
                switch_messages,
                (switch_messages.c.client_transfer_id == credits.c.client_transfer_id)
                & (switch_messages.c.status == "completed"),
            )
        ).all()
    assert raw, "the simulation must have produced QR payments"
    for key, totals in simulation.totals.markets.items():
        market_id = market_of_key[key]
        mine = [row for row in days if row.unit_id == market_id]
        assert sum(row.qr_count for row in mine) == totals.qr_payments
        assert sum(row.qr_value_dong for row in mine) == totals.qr_value_dong
        assert sum(row.cash_count or 0 for row in mine) == totals.cash_sales
        assert sum(row.cash_value_dong or 0 for row in mine) == totals.cash_value_dong
        assert mine[-1].vendors_registered == totals.vendors
        assert mine[-1].vendors_with_qr == totals.adopters
    # Payers and tickets per market and week, counted straight from the raw rows in Python.
    payers: dict[tuple[int, object], Counter[str]] = defaultdict(Counter)
    tickets: dict[tuple[int, object], list[int]] = defaultdict(list)
    for market_id, amount, at, payer_bin, payer_account in raw:
        day = _local_day(at)
        week = day - timedelta(days=day.weekday())  # type: ignore[attr-defined]
        payers[(market_id, week)][f"{payer_bin}:{payer_account}"] += 1
        tickets[(market_id, week)].append(amount)
    for row in weeks:
        key = (row.unit_id, row.period_start)
        assert row.unique_payers == len(payers[key])
        assert row.repeat_payers == sum(1 for n in payers[key].values() if n >= 2)
        if tickets[key]:
            assert row.median_ticket_dong == pytest.approx(statistics.median(tickets[key]))
