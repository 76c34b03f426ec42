"""Every fault at once, seeded: retries never double-charge, no credit is lost, the books
balance, and the fault log shows the mix of faults that was injected."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import Engine, func, select

from payments.clock import ManualClock
from payments.faults import FaultPlan, FaultRates
from payments.messages import FaultKind
from payments.routing import Payment, PaymentStatus
from payments.tables import credits, fault_log
from tests.payments.world import BIDV, VIETCOMBANK, balances, make_buyer, make_vendor, make_world

RATES = FaultRates({kind: 0.06 for kind in FaultKind})
PAYMENTS = 150
MAX_TRIES = 4


@pytest.mark.parametrize("seed", [11, 12])
def test_random_faults_with_retries_keep_the_books_right(
    db: Engine, clock: ManualClock, seed: int
) -> None:
    world = make_world(db, clock, FaultPlan(seed=seed, default=RATES))
    stall = make_vendor(world)
    buyers = [make_buyer(world, VIETCOMBANK, "100"), make_buyer(world, BIDV, "200")]
    rng = random.Random(seed)
    wanted = [
        Payment(
            rng.choice(stall.accounts).static_payload,
            *rng.choice(buyers),
            f"soak-{i}",
            rng.choice((5_000, 12_000, 30_000)),
        )
        for i in range(PAYMENTS)
    ]
    paid: dict[str, int] = {}
    pending = wanted
    for _try in range(MAX_TRIES):  # the phones retry what timed out or found a bank offline
        retry = []
        for payment, outcome in zip(pending, world.switch.pay_many(pending), strict=True):
            if outcome.committed:
                paid[payment.client_transfer_id] = payment.amount_dong or 0
            if outcome.status in (PaymentStatus.TIMEOUT, PaymentStatus.OFFLINE):
                retry.append(payment)
        pending = retry
        clock.advance(30)
    charged = sum(2_000_000 - balance for balance in balances(world, *buyers))
    received = sum(balances(world, *[(a.bank_bin, a.account_number) for a in stall.accounts]))
    assert charged == received == sum(paid.values())  # nothing charged twice, nothing lost
    with world.engine.connect() as connection:
        credited = connection.execute(select(credits.c.amount_dong)).scalars().all()
        faults = connection.execute(
            select(fault_log.c.fault, func.count()).group_by(fault_log.c.fault)
        ).all()
    assert sorted(credited) == sorted(paid.values())  # one credit per payment that moved money
    assert len({name for name, _count in faults}) >= 5  # the plan really injected a mix
    assert world.ledger.verify() == []
