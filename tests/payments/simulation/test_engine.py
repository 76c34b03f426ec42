"""A small simulation end to end on SQLite and PostgreSQL: the books balance and tie out."""

from __future__ import annotations

import itertools
import random

from sqlalchemy import Engine, func, select

from ledger import Ledger
from ledger.tables import transfers
from payments.clock import SystemClock
from payments.simulation.camera import photograph_and_scan
from payments.simulation.engine import Mode, Simulation
from payments.simulation.payflow import payment_ids
from payments.simulation.scenario import Scenario
from payments.simulation.tables import cash_sales, runs
from payments.simulation.world import WorldModel
from payments.tables import credits, fault_log, receiving_accounts, switch_messages, vendors
from qr import VietQR, build
from tests.payments.simulation.conftest import SMALL_MARKETS, busy

DAYS = 8
SCALE = 0.3


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


def test_small_simulation_ties_out_and_verifies(db: Engine, bundled: Scenario) -> None:
    simulation = Simulation(db, busy(bundled), days=DAYS, scale=SCALE, only=SMALL_MARKETS)
    report = simulation.run()
    assert report["qr_payments"] > 50
    assert report["faults_injected"] > 0
    assert report["qr_retries"] > 0  # timeouts were retried with the same client id
    with db.connect() as connection:
        credit_count, credit_value = connection.execute(
            select(func.count(), func.coalesce(func.sum(credits.c.amount_dong), 0))
        ).one()
        cash_count, cash_value = connection.execute(
            select(func.sum(cash_sales.c.sales), func.sum(cash_sales.c.value_dong))
        ).one()
        adopters = connection.scalar(
            select(func.count(func.distinct(receiving_accounts.c.vendor_id)))
        )
        run = connection.execute(select(runs)).one()
    # Every completed QR payment is exactly one vendor credit: retries never paid twice.
    assert (credit_count, credit_value) == (report["qr_payments"], report["qr_value_dong"])
    assert (cash_count, cash_value) == (report["cash_sales"], report["cash_value_dong"])
    assert adopters == report["adopters"]
    assert _count(db, vendors) == report["vendors"]
    assert _count(db, fault_log) == report["faults_injected"]
    assert run.status == "done"
    assert Ledger(db, clock=SystemClock().now).verify() == []


def test_payment_ids_grow_with_day_market_and_sale_as_text_and_as_numbers() -> None:
    keys = [(0, 0, 0), (0, 0, 1), (0, 0, 9), (0, 0, 10), (0, 1, 0), (0, 12, 3), (1, 0, 0)]
    keys += [(9, 0, 0), (10, 0, 0), (99_999 % 2**16, 1023, 2**20 - 1)]
    ids = [payment_ids(3, day, market, sale) for day, market, sale in keys]
    assert sorted(ids) == ids  # client ids, as text
    assert sorted(ids, key=lambda pair: pair[1]) == ids  # ledger ids
    assert len({ledger_id for _client, ledger_id in ids}) == len(ids)
    # Room for the three legs of each payment: no two payments' legs overlap.
    assert all(b[1] - a[1] >= 3 for a, b in itertools.pairwise(ids))


def test_simulated_payments_append_to_the_ledger_in_id_order(db: Engine, bundled: Scenario) -> None:
    Simulation(db, busy(bundled), days=3, scale=SCALE, only=SMALL_MARKETS).run()
    with db.connect() as connection:
        # A retried payment keeps its ids (that is what makes it idempotent), so it lands
        # behind later ones; every payment that went through at its first attempt is in order.
        once = (
            select(switch_messages.c.client_transfer_id)
            .group_by(switch_messages.c.client_transfer_id)
            .having(func.count() == 1)
        )
        ids = connection.scalars(
            select(transfers.c.id)
            .where(transfers.c.reference.in_(once))
            .order_by(transfers.c.timestamp_ns)
        ).all()
        refs = connection.scalars(
            select(switch_messages.c.client_transfer_id)
            .where(
                switch_messages.c.client_transfer_id.in_(once),
                switch_messages.c.status == "completed",
            )
            .order_by(switch_messages.c.id)
        ).all()
    assert len(ids) > 50
    assert ids == sorted(ids)
    assert refs == sorted(refs)


def test_without_faults_the_database_records_the_models_choices(
    db: Engine, bundled: Scenario
) -> None:
    """The engine pays exactly the QR sales the pure model chose (calibration uses the model)."""
    simulation = Simulation(db, bundled, days=DAYS, scale=SCALE, only=["dai-tu"])
    report = simulation.run()
    model = WorldModel(bundled, scale=SCALE, only=["dai-tu"])
    model.run(DAYS)
    (market,) = model.markets
    assert report["qr_payments"] == sum(o.qr_sales for o in market.observations) > 0
    assert report["cash_sales"] == sum(o.cash_sales for o in market.observations)
    assert report["adopters"] == market.diffusion.count
    with db.connect() as connection:
        completed = connection.scalar(
            select(func.count()).where(switch_messages.c.status == "completed")
        )
    assert completed == report["qr_payments"]


def test_camera_mode_pays_through_decoded_photos(db: Engine, bundled: Scenario) -> None:
    scenario = busy(bundled).model_copy(
        update={"payments": bundled.payments.model_copy(update={"camera_every": 3})}
    )
    report = Simulation(db, scenario, days=4, scale=0.2, only=["dai-tu"], mode=Mode.CAMERA).run()
    assert report["camera_scans"] >= report["qr_payments"] // 3 > 0
    # A blurred, tilted photo sometimes fails; the buyer's second photo almost never does.
    assert report["camera_misreads"] <= report["camera_scans"] // 2


def test_a_degraded_phone_photo_still_decodes_to_the_payload() -> None:
    payload = build(
        VietQR(
            bin="970405",
            account="80010000010",
            merchant_name="NGUYEN VAN AN",
            merchant_city="DAI TU",
            point_of_initiation="static",
        )
    )
    rng = random.Random(4)
    decoded = [photograph_and_scan(payload, rng) for _n in range(6)]
    assert decoded.count(payload) >= 5
    assert all(text in (payload, None) for text in decoded)
