"""The switch: name inquiry, linked-chain transfers, idempotent retries, the batch path."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from payments.errors import BankOffline, RateLimited, UnknownAccount, UnknownBank
from payments.ratelimit import RateLimiter
from payments.routing import Payment, PaymentStatus
from payments.switch import Switch
from payments.tables import bank_messages, credits, events, switch_messages
from tests.payments.world import (
    AGRIBANK,
    BIDV,
    MB,
    VIETCOMBANK,
    Stall,
    World,
    balances,
    make_buyer,
    row_counts,
)


def test_name_inquiry_shows_holder_upper_case_without_diacritics(
    world: World, vendor_with_two_banks: Stall
) -> None:
    account = vendor_with_two_banks.accounts[0]
    name = world.switch.name_inquiry(account.bank_bin, account.account_number, caller="phone-1")
    assert name == "NGUYEN THI HOA"


def test_name_inquiry_errors_are_distinct(world: World, vendor_with_two_banks: Stall) -> None:
    account = vendor_with_two_banks.accounts[0]
    with pytest.raises(UnknownBank, match="999999"):
        world.switch.name_inquiry("999999", account.account_number, caller="p")
    with pytest.raises(UnknownAccount, match="404404"):
        world.switch.name_inquiry(account.bank_bin, "404404", caller="p")
    world.bank.offline.add(account.bank_bin)
    with pytest.raises(BankOffline, match=account.bank_bin):
        world.switch.name_inquiry(account.bank_bin, account.account_number, caller="p")


def test_name_inquiry_is_rate_limited_per_caller(
    world: World, vendor_with_two_banks: Stall
) -> None:
    switch = Switch(
        world.engine,
        world.ledger,
        world.banks,
        world.bank,
        world.clock,
        limiter=RateLimiter(world.clock, burst=2, refill_per_s=0.1),
    )
    account = vendor_with_two_banks.accounts[0]
    for _ in range(2):
        switch.name_inquiry(account.bank_bin, account.account_number, caller="scraper")
    with pytest.raises(RateLimited, match="scraper"):
        switch.name_inquiry(account.bank_bin, account.account_number, caller="scraper")
    switch.name_inquiry(account.bank_bin, account.account_number, caller="honest-phone")


def test_interbank_payment_moves_money_through_both_settlement_accounts(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    sticker = vendor_with_two_banks.accounts[1]  # MB; the buyer banks at Vietcombank
    payee = (sticker.bank_bin, sticker.account_number)
    outcome = world.switch.pay(Payment(sticker.static_payload, *funded_buyer, "c-1", 25_000))
    assert outcome.status is PaymentStatus.COMPLETED, outcome
    assert balances(world, funded_buyer, payee) == [1_975_000, 25_000]
    legs = world.ledger.get_transfers(outcome.ledger_transfer_ids)
    accounts = [(t.debit_account_id, t.credit_account_id) for t in legs]
    assert len(legs) == 3
    assert accounts[0][1] == accounts[1][0]  # settlement(A) passes it on
    assert accounts[1][1] == accounts[2][0]  # settlement(B) passes it on
    for bank_bin in (VIETCOMBANK, MB):
        info = world.banks.require(bank_bin)
        (settlement,) = world.ledger.lookup_accounts([info.settlement_account_id])
        assert settlement.balance == 0  # a pass-through: what comes in goes out
    assert outcome.vendor_id == vendor_with_two_banks.vendor.id
    assert world.ledger.verify() == []


def test_on_us_payment_has_two_legs(world: World, vendor_with_two_banks: Stall) -> None:
    buyer = make_buyer(world, AGRIBANK, "777000111")
    sticker = vendor_with_two_banks.accounts[0]  # Agribank too
    outcome = world.switch.pay(Payment(sticker.static_payload, *buyer, "c-1", 40_000))
    assert outcome.status is PaymentStatus.COMPLETED
    assert len(outcome.ledger_transfer_ids) == 2
    assert balances(world, buyer, (AGRIBANK, sticker.account_number)) == [1_960_000, 40_000]


def test_retry_with_the_same_client_id_does_not_charge_twice(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    sticker = vendor_with_two_banks.accounts[1]
    payment = Payment(sticker.static_payload, *funded_buyer, "retry-me", 30_000)
    first = world.switch.pay(payment)
    second = world.switch.pay(payment)
    assert first.status is PaymentStatus.COMPLETED
    assert second.status is PaymentStatus.DUPLICATE
    assert second.event_id == first.event_id
    assert second.credit_id == first.credit_id
    assert balances(world, funded_buyer) == [1_970_000]
    with world.engine.connect() as connection:
        assert len(connection.execute(select(credits)).all()) == 1
        assert len(connection.execute(select(events)).all()) == 1
        statuses = connection.scalars(select(switch_messages.c.status)).all()
    assert statuses == ["completed", "duplicate"]


def test_payers_own_transfer_id_names_the_legs_and_a_retry_reusing_it_is_a_duplicate(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    sticker = vendor_with_two_banks.accounts[1]  # interbank: three legs
    payment = Payment(sticker.static_payload, *funded_buyer, "own-id", 30_000, 4_000_001)
    first = world.switch.pay(payment)
    second = world.switch.pay(payment)
    assert first.status is PaymentStatus.COMPLETED
    assert first.ledger_transfer_ids == (4_000_001, 4_000_002, 4_000_003)
    assert second.status is PaymentStatus.DUPLICATE
    assert second.credit_id == first.credit_id
    assert second.event_id == first.event_id
    assert balances(world, funded_buyer) == [1_970_000]


def test_switch_records_name_the_credit_leg_only_when_the_chain_is_in_the_ledger(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    sticker = vendor_with_two_banks.accounts[1]  # interbank: the credit leg is the third
    first = world.switch.pay(Payment(sticker.static_payload, *funded_buyer, "link", 30_000))
    world.switch.pay(Payment(sticker.static_payload, *funded_buyer, "link", 30_000))
    world.switch.pay(Payment(sticker.static_payload, *funded_buyer, "link", 31_000))  # conflict
    poor = make_buyer(world, BIDV, "556", balance_dong=10)
    world.switch.pay(Payment(sticker.static_payload, *poor, "broke", 10_000))
    with world.engine.connect() as connection:
        credit_leg = connection.execute(select(credits.c.ledger_transfer_id)).scalar_one()
        links = connection.execute(
            select(switch_messages.c.status, switch_messages.c.ledger_transfer_id).order_by(
                switch_messages.c.id
            )
        ).all()
    assert credit_leg == first.ledger_transfer_ids[-1]
    assert [tuple(row) for row in links] == [
        ("completed", credit_leg),
        ("duplicate", credit_leg),
        ("declined", None),
        ("declined", None),
    ]


@pytest.mark.parametrize("transfer_id", [0, -1, 2**63 - 2, True])
def test_transfer_id_out_of_range_is_rejected_and_moves_nothing(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str], transfer_id: int
) -> None:
    sticker = vendor_with_two_banks.accounts[1]
    payment = Payment(sticker.static_payload, *funded_buyer, "bad-id", 30_000, transfer_id)
    outcome = world.switch.pay(payment)
    assert outcome.status is PaymentStatus.REJECTED
    assert "transfer id" in str(outcome.error)
    assert balances(world, funded_buyer) == [2_000_000]


def test_same_client_id_for_another_amount_is_refused(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    sticker = vendor_with_two_banks.accounts[1]
    world.switch.pay(Payment(sticker.static_payload, *funded_buyer, "c-9", 30_000))
    outcome = world.switch.pay(Payment(sticker.static_payload, *funded_buyer, "c-9", 31_000))
    assert outcome.status is PaymentStatus.DECLINED
    assert outcome.error is not None
    assert outcome.error.code == "conflict"
    assert balances(world, funded_buyer) == [1_970_000]


def test_insufficient_funds_leaves_nothing_half_done(
    world: World, vendor_with_two_banks: Stall
) -> None:
    buyer = make_buyer(world, BIDV, "555", balance_dong=10_000)
    sticker = vendor_with_two_banks.accounts[1]
    outcome = world.switch.pay(Payment(sticker.static_payload, *buyer, "c-1", 10_001))
    assert outcome.status is PaymentStatus.DECLINED
    assert outcome.error is not None
    assert outcome.error.code == "insufficient_funds"
    assert balances(world, buyer, (MB, sticker.account_number)) == [10_000, 0]
    with world.engine.connect() as connection:
        assert connection.execute(select(credits)).all() == []
        assert connection.execute(select(bank_messages)).all() == []
    assert world.ledger.verify() == []


def test_batch_path_gives_the_same_results_as_one_at_a_time(
    world: World, vendor_with_two_banks: Stall
) -> None:
    """pay_many is the same rules: duplicates in a batch, declines and successes side by side."""
    rich = make_buyer(world, VIETCOMBANK, "100", balance_dong=1_000_000)
    poor = make_buyer(world, BIDV, "200", balance_dong=5_000)
    agri, mb = vendor_with_two_banks.accounts
    payments = [
        Payment(agri.static_payload, *rich, "b-1", 10_000),
        Payment(mb.static_payload, *rich, "b-2", 20_000),
        Payment(mb.static_payload, *poor, "b-3", 6_000),  # declined: 5,000 in the account
        Payment(mb.static_payload, *rich, "b-2", 20_000),  # the same payment again
        Payment("not a qr code", *rich, "b-5", 1_000),  # rejected before any bank sees it
        Payment(agri.static_payload, *poor, "b-6", 5_000),
    ]
    outcomes = world.switch.pay_many(payments)
    assert [o.status for o in outcomes] == [
        PaymentStatus.COMPLETED,
        PaymentStatus.COMPLETED,
        PaymentStatus.DECLINED,
        PaymentStatus.DUPLICATE,
        PaymentStatus.REJECTED,
        PaymentStatus.COMPLETED,
    ]
    assert balances(world, rich, poor) == [970_000, 0]
    assert balances(world, (AGRIBANK, agri.account_number), (MB, mb.account_number)) == [
        15_000,
        20_000,
    ]
    counts = row_counts(world.engine)
    assert counts["pay_credits"] == 3
    assert counts["pay_events"] == 3
    assert world.ledger.verify() == []
