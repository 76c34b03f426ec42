"""Bad input gets a typed error naming the problem, and changes nothing (rows and balances)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from payments.buyer import BuyerPhone
from payments.errors import (
    AmountFixed,
    AmountOverLimit,
    AmountRequired,
    InvalidAmount,
    InvalidInput,
    InvalidPayload,
    RequestExpired,
    UnknownBank,
)
from payments.routing import Payment, PaymentStatus
from qr import VietQR, build
from tests.payments.world import MB, Stall, World, balances, open_request, row_counts


def _snapshot(world: World, buyer: tuple[str, str], stall: Stall) -> tuple[object, ...]:
    payee = (MB, stall.accounts[1].account_number)
    return row_counts(world.engine), balances(world, buyer, payee)


def _expect_rejected(
    world: World,
    stall: Stall,
    buyer: tuple[str, str],
    payment: Payment,
    error: type[Exception],
    match: str,
) -> None:
    before = _snapshot(world, buyer, stall)
    outcome = world.switch.pay(payment)
    assert outcome.status is PaymentStatus.REJECTED
    assert isinstance(outcome.error, error)
    assert match in str(outcome.error)
    assert _snapshot(world, buyer, stall) == before


def test_malformed_payload(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    payload = vendor_with_two_banks.accounts[1].static_payload
    broken = payload[:-4] + ("0000" if not payload.endswith("0000") else "FFFF")
    _expect_rejected(
        world,
        vendor_with_two_banks,
        funded_buyer,
        Payment(broken, *funded_buyer, "c-1", 10_000),
        InvalidPayload,
        "not a valid VietQR payload",
    )


def test_unknown_bin(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    payload = build(VietQR(bin="970499", account="123456", merchant_name="X", merchant_city="Y"))
    _expect_rejected(
        world,
        vendor_with_two_banks,
        funded_buyer,
        Payment(payload, *funded_buyer, "c-1", 10_000),
        UnknownBank,
        "970499",
    )


@pytest.mark.parametrize(
    ("amount", "error", "match"),
    [
        (0, InvalidAmount, "positive"),
        (-5_000, InvalidAmount, "positive"),
        (10**15, AmountOverLimit, "limit"),
        (25_000.5, InvalidAmount, "whole number"),
        (True, InvalidAmount, "whole number"),
        (None, AmountRequired, "enter the amount"),
    ],
)
def test_bad_amounts_on_a_sticker(
    world: World,
    vendor_with_two_banks: Stall,
    funded_buyer: tuple[str, str],
    amount: object,
    error: type[Exception],
    match: str,
) -> None:
    sticker = vendor_with_two_banks.accounts[1].static_payload
    payment = Payment(sticker, *funded_buyer, "c-1", amount)  # type: ignore[arg-type]
    _expect_rejected(world, vendor_with_two_banks, funded_buyer, payment, error, match)


def test_dynamic_amount_cannot_be_changed(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    request = open_request(world, vendor_with_two_banks.accounts[1], amount_dong=40_000)
    payment = Payment(request.payload, *funded_buyer, "c-1", 4_000)
    _expect_rejected(world, vendor_with_two_banks, funded_buyer, payment, AmountFixed, "40000")
    phone = BuyerPhone(world.switch, payer_bin=funded_buyer[0], payer_account=funded_buyer[1])
    with pytest.raises(AmountFixed):
        phone.pay(phone.read(request.payload), amount_dong=4_000)


def test_expired_request_cannot_be_paid(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    request = open_request(world, vendor_with_two_banks.accounts[1], amount_dong=40_000, ttl_s=300)
    world.clock.advance(timedelta(minutes=5).total_seconds())
    payment = Payment(request.payload, *funded_buyer, "c-1")
    _expect_rejected(
        world, vendor_with_two_banks, funded_buyer, payment, RequestExpired, request.reference
    )


@pytest.mark.parametrize(
    ("payer_bin", "payer_account", "client_id", "match"),
    [
        ("97043", "0011001234567", "c-1", "payer BIN"),
        ("970436", "00-11", "c-1", "payer account"),
        ("970436", "0011001234567", "", "client transfer id"),
        ("970436", "0011001234567", "x" * 37, "client transfer id"),
    ],
)
def test_bad_payer_or_client_id(
    world: World,
    vendor_with_two_banks: Stall,
    funded_buyer: tuple[str, str],
    payer_bin: str,
    payer_account: str,
    client_id: str,
    match: str,
) -> None:
    sticker = vendor_with_two_banks.accounts[1].static_payload
    payment = Payment(sticker, payer_bin, payer_account, client_id, 10_000)
    _expect_rejected(world, vendor_with_two_banks, funded_buyer, payment, InvalidInput, match)


def test_bad_request_input_changes_nothing(world: World, vendor_with_two_banks: Stall) -> None:
    before = row_counts(world.engine)
    account = vendor_with_two_banks.accounts[0]
    for amount, error in [(0, InvalidAmount), (10**12, AmountOverLimit), (1.5, InvalidAmount)]:
        with pytest.raises(error):
            open_request(world, account, amount_dong=amount)
    with pytest.raises(InvalidInput, match="ttl_s"):
        open_request(world, account, amount_dong=1_000, ttl_s=10**9)
    assert row_counts(world.engine) == before
