"""With each fault injected: no buyer charged twice, no credit lost, the fault log names it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from payments.buyer import BuyerPhone
from payments.clock import ManualClock
from payments.directory import ReceivingAccount
from payments.errors import PaymentTimeout, WebhookRejected
from payments.faults import FaultPlan
from payments.messages import FaultKind
from payments.notifications import events_since
from payments.routing import Payment, PaymentStatus
from payments.tables import bank_messages, credits, fault_log
from payments.webhooks import signed_headers, verify_webhook
from tests.payments.world import (
    MB,
    VIETCOMBANK,
    Stall,
    World,
    balances,
    make_buyer,
    make_vendor,
    make_world,
)


def _setup(
    db: Engine, clock: ManualClock, fault: FaultKind, bank_bin: str
) -> tuple[World, Stall, tuple[str, str], BuyerPhone, ReceivingAccount]:
    world = make_world(db, clock, FaultPlan.always(fault, bank_bin=bank_bin, seed=3))
    stall = make_vendor(world)
    buyer = make_buyer(world, VIETCOMBANK, "0011001234567")
    phone = BuyerPhone(world.switch, payer_bin=buyer[0], payer_account=buyer[1])
    sticker = stall.accounts[1]  # at MB
    return world, stall, buyer, phone, sticker


def _faults(world: World) -> list[tuple[str, str]]:
    with world.engine.connect() as connection:
        rows = connection.execute(select(fault_log.c.fault, fault_log.c.bank_bin)).all()
    return [(row.fault, row.bank_bin) for row in rows]


def _credits(world: World) -> int:
    with world.engine.connect() as connection:
        return len(connection.execute(select(credits)).all())


def test_timeout_before_commit_then_retry_charges_once(db: Engine, clock: ManualClock) -> None:
    world, _stall, buyer, phone, sticker = _setup(
        db, clock, FaultKind.TIMEOUT_BEFORE_COMMIT, VIETCOMBANK
    )
    quote = phone.read(sticker.static_payload)
    with pytest.raises(PaymentTimeout, match="nothing was charged"):
        phone.pay(quote, amount_dong=25_000, client_transfer_id="t-1")
    assert balances(world, buyer, (MB, sticker.account_number)) == [2_000_000, 0]
    assert _faults(world) == [("timeout_before_commit", VIETCOMBANK)] * 3  # 3 attempts
    healthy = make_world(db, clock)  # the bank recovered: same database, no faults
    retry = BuyerPhone(healthy.switch, payer_bin=buyer[0], payer_account=buyer[1])
    receipt = retry.pay(quote, amount_dong=25_000, client_transfer_id="t-1")
    assert receipt.status is PaymentStatus.COMPLETED
    assert balances(world, buyer, (MB, sticker.account_number)) == [1_975_000, 25_000]


def test_timeout_after_commit_retry_does_not_charge_twice(db: Engine, clock: ManualClock) -> None:
    world, _stall, buyer, phone, sticker = _setup(
        db, clock, FaultKind.TIMEOUT_AFTER_COMMIT, VIETCOMBANK
    )
    receipt = phone.pay(phone.read(sticker.static_payload), amount_dong=25_000)
    # The first answer was lost; the phone retried with the same client id and learned the
    # payment had gone through.
    assert receipt.status is PaymentStatus.DUPLICATE
    assert receipt.attempts == 2
    assert balances(world, buyer, (MB, sticker.account_number)) == [1_975_000, 25_000]
    assert _credits(world) == 1
    assert ("timeout_after_commit", VIETCOMBANK) in _faults(world)
    assert world.ledger.verify() == []


@pytest.mark.parametrize(
    ("fault", "bank_bin", "code"),
    [
        (FaultKind.BANK_OFFLINE, MB, "bank_offline"),
        (FaultKind.INSUFFICIENT_FUNDS, VIETCOMBANK, "insufficient_funds"),
        (FaultKind.AMOUNT_OVER_LIMIT, VIETCOMBANK, "amount_over_limit"),
    ],
)
def test_refusals_move_no_money(
    db: Engine, clock: ManualClock, fault: FaultKind, bank_bin: str, code: str
) -> None:
    world, _stall, buyer, _phone, sticker = _setup(db, clock, fault, bank_bin)
    outcome = world.switch.pay(Payment(sticker.static_payload, *buyer, "f-1", 25_000))
    assert not outcome.committed
    assert outcome.error is not None
    assert outcome.error.code == code
    assert balances(world, buyer, (MB, sticker.account_number)) == [2_000_000, 0]
    assert _credits(world) == 0
    assert _faults(world) == [(fault.value, bank_bin)]
    assert world.ledger.verify() == []


def test_duplicate_notification_is_recorded_twice_by_the_bank_but_announced_once(
    db: Engine, clock: ManualClock
) -> None:
    world, stall, _buyer, phone, sticker = _setup(db, clock, FaultKind.DUPLICATE_NOTIFICATION, MB)
    receipt = phone.pay(phone.read(sticker.static_payload), amount_dong=25_000)
    assert receipt.status is PaymentStatus.COMPLETED
    with world.engine.connect() as connection:
        bank_credits = connection.execute(
            select(bank_messages).where(bank_messages.c.kind == "credit")
        ).all()
        feed = events_since(connection, stall.vendor.id, after_seq=0, now=clock.now())
    assert len(bank_credits) == 2  # the discrepancy reconciliation must find
    assert len(feed) == 1
    assert feed[0].deliveries == 2
    assert _credits(world) == 1
    assert balances(world, (MB, sticker.account_number)) == [25_000]
    assert _faults(world) == [("duplicate_notification", MB)]
    # The webhook goes out twice with the same event id; the receiver keeps one.
    seen: set[str] = set()
    body = json.dumps(feed[0].as_json()).encode()
    headers = signed_headers("k", feed[0].event_id, int(clock.now().timestamp()), body)
    verify_webhook("k", headers, body, clock.now(), seen)
    with pytest.raises(WebhookRejected, match="already received"):
        verify_webhook("k", headers, body, clock.now(), seen)


def test_delayed_notification_reaches_the_feed_late_but_is_not_lost(
    db: Engine, clock: ManualClock
) -> None:
    world, stall, _buyer, phone, sticker = _setup(db, clock, FaultKind.DELAYED_NOTIFICATION, MB)
    phone.pay(phone.read(sticker.static_payload), amount_dong=25_000)
    with world.engine.connect() as connection:
        assert events_since(connection, stall.vendor.id, after_seq=0, now=clock.now()) == []
        late = connection.execute(select(bank_messages.c.created_at)).scalars().all()
    assert len(late) == 2
    clock.advance(timedelta(minutes=15).total_seconds())
    with world.engine.connect() as connection:
        feed = events_since(connection, stall.vendor.id, after_seq=0, now=clock.now())
    assert [event.amount_dong for event in feed] == [25_000]
    assert _faults(world) == [("delayed_notification", MB)]
