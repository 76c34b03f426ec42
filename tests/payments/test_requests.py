"""Payment requests: dynamic codes, tolerant matching, honest statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from payments.banks import bank_memo
from payments.errors import InvalidAmount
from payments.requests import (
    Match,
    OpenRequest,
    RequestSpec,
    Status,
    create_requests,
    get_request,
    match_credit,
    status_of,
)
from payments.routing import Payment, PaymentStatus
from qr import VietQR, build, parse
from tests.payments.world import CITY, Stall, World, open_request, rng, row_counts

T0 = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)


def _open(reference: str = "MPK7Q2ZX", amount_dong: int = 50_000, **kw: object) -> OpenRequest:
    values: dict[str, object] = {
        "id": 1,
        "receiving_account_id": 1,
        "reference": reference,
        "amount_dong": amount_dong,
        "paid_dong": 0,
        "created_at": T0,
        "expires_at": T0 + timedelta(minutes=15),
    }
    values.update(kw)
    return OpenRequest(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "memo",
    [
        "MPK7Q2ZX",
        "VCB.0042.MPK7Q2ZX RAU CAI",  # bank prefix, note after
        "mbvcb.3312.mpk7q2zx",  # lower case
        "IBFT CT DEN MP-K7Q2",  # punctuation, and cut after 6 characters at the memo's end
    ],
)
def test_reference_is_found_in_rewritten_memos(memo: str) -> None:
    request, match = match_credit(memo, 50_000, T0 + timedelta(minutes=1), [_open()])
    assert (request is not None, match) == (True, Match.REFERENCE)


def test_without_reference_the_same_amount_soon_after_matches_oldest_first() -> None:
    older = _open("MPAAAAAA", id=1)
    newer = _open("MPBBBBBB", id=2, created_at=T0 + timedelta(minutes=2))
    request, match = match_credit("CK TIEN RAU", 50_000, T0 + timedelta(minutes=3), [older, newer])
    assert match is Match.AMOUNT_WINDOW
    assert request is older


def test_credit_matching_nothing_is_unmatched_not_dropped() -> None:
    request, match = match_credit("CK TIEN RAU", 49_000, T0 + timedelta(minutes=3), [_open()])
    assert (request, match) == (None, Match.UNMATCHED)


def test_reference_after_expiry_is_late() -> None:
    _request, match = match_credit("MPK7Q2ZX", 50_000, T0 + timedelta(hours=1), [_open()])
    assert match is Match.LATE


@pytest.mark.parametrize(
    ("paid_dong", "now", "status"),
    [
        (0, T0, Status.PENDING),
        (0, T0 + timedelta(minutes=15), Status.EXPIRED),
        (20_000, T0, Status.UNDERPAID),
        (50_000, T0 + timedelta(days=1), Status.PAID),
        (70_000, T0, Status.OVERPAID),
    ],
)
def test_status_is_derived_from_paid_and_expiry(
    paid_dong: int, now: datetime, status: Status
) -> None:
    assert status_of(50_000, paid_dong, T0 + timedelta(minutes=15), now) is status


def test_dynamic_code_carries_amount_and_reference(
    world: World, vendor_with_two_banks: Stall
) -> None:
    request = open_request(
        world, vendor_with_two_banks.accounts[0], amount_dong=35_000, note="Rau cải"
    )
    code = parse(request.payload)
    assert code.point_of_initiation == "dynamic"
    assert code.amount == 35_000
    assert code.reference == request.reference
    assert code.purpose is not None
    assert code.purpose.startswith(request.reference)
    assert len(code.purpose) <= 25
    assert request.status(world.clock.now()) is Status.PENDING


def test_paying_a_request_marks_it_paid_and_overpaying_is_reported(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    stall = vendor_with_two_banks
    request = open_request(world, stall.accounts[1], amount_dong=35_000)
    first = world.switch.pay(Payment(request.payload, *funded_buyer, "r-1"))
    assert first.status is PaymentStatus.COMPLETED
    assert (first.request_id, first.match) == (request.id, Match.REFERENCE)
    with world.engine.connect() as connection:
        paid = get_request(connection, request.id, vendor_id=stall.vendor.id)
    assert (paid.status(world.clock.now()), paid.paid_dong, paid.remaining_dong()) == (
        Status.PAID,
        35_000,
        0,
    )
    world.switch.pay(Payment(request.payload, *funded_buyer, "r-2"))  # paid twice by mistake
    with world.engine.connect() as connection:
        twice = get_request(connection, request.id, vendor_id=stall.vendor.id)
    assert twice.status(world.clock.now()) is Status.OVERPAID


def test_underpayment_through_an_edited_code_is_underpaid(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    """A buyer's app that rebuilt the code with a smaller amount still carries the reference."""
    stall = vendor_with_two_banks
    request = open_request(world, stall.accounts[1], amount_dong=80_000, note="thit")
    original = parse(request.payload)
    edited = build(
        VietQR(
            bin=original.bin,
            account=original.account,
            amount=50_000,
            merchant_name=original.merchant_name,
            merchant_city=original.merchant_city,
            reference=original.reference,
            purpose=original.purpose,
            point_of_initiation="dynamic",
        )
    )
    outcome = world.switch.pay(Payment(edited, *funded_buyer, "u-1"))
    assert outcome.match is Match.REFERENCE
    with world.engine.connect() as connection:
        found = get_request(connection, request.id, vendor_id=stall.vendor.id)
    assert (found.status(world.clock.now()), found.remaining_dong()) == (Status.UNDERPAID, 30_000)


def test_dynamic_code_for_no_request_is_recorded_unmatched(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    account = vendor_with_two_banks.accounts[0]
    stray = build(
        VietQR(
            bin=account.bank_bin,
            account=account.account_number,
            amount=12_000,
            merchant_name="NGUYEN THI HOA",
            merchant_city="DAI TU",
            reference="XYZ123",
            point_of_initiation="dynamic",
        )
    )
    outcome = world.switch.pay(Payment(stray, *funded_buyer, "s-1"))
    assert outcome.status is PaymentStatus.COMPLETED
    assert (outcome.match, outcome.request_id, outcome.vendor_id) == (
        Match.UNMATCHED,
        None,
        vendor_with_two_banks.vendor.id,
    )


def test_static_credits_are_attributed_to_the_vendor_by_account(
    world: World, vendor_with_two_banks: Stall, funded_buyer: tuple[str, str]
) -> None:
    sticker = vendor_with_two_banks.accounts[0]
    outcome = world.switch.pay(Payment(sticker.static_payload, *funded_buyer, "st-1", 9_000))
    assert (outcome.match, outcome.vendor_id) == (Match.STATIC, vendor_with_two_banks.vendor.id)


def test_bank_memo_is_prefixed_upper_case_and_truncated() -> None:
    memo = bank_memo("Vietcombank", "ref", "MPK7Q2ZX Rau cải xanh loại một")
    assert memo.startswith("VIETCO.")
    assert "MPK7Q2ZX" in memo
    assert len(memo) == 25


def test_many_requests_at_once_get_distinct_unused_references(
    world: World, vendor_with_two_banks: Stall
) -> None:
    account = vendor_with_two_banks.accounts[1]
    first = open_request(world, account, amount_dong=10_000)  # drawn from rng()'s first values
    specs = [RequestSpec(account, 10_000 + 1_000 * n, note="rau") for n in range(5)]
    with world.engine.begin() as connection:
        # The same seed draws first.reference again: it must be drawn anew, not reused.
        made = create_requests(connection, specs, now=world.clock.now(), rng=rng(), city=CITY)
    references = [r.reference for r in made]
    assert first.reference not in references
    assert len(set(references)) == 5
    with world.engine.connect() as connection:
        stored = [get_request(connection, r.id, vendor_id=r.vendor_id) for r in made]
    assert [(s.reference, s.amount_dong, s.payload) for s in stored] == [
        (r.reference, r.amount_dong, r.payload) for r in made
    ]
    assert parse(made[4].payload).amount == 14_000


def test_one_bad_amount_in_a_bulk_request_writes_none(
    world: World, vendor_with_two_banks: Stall
) -> None:
    account = vendor_with_two_banks.accounts[1]
    before = row_counts(world.engine)
    specs = [RequestSpec(account, 10_000), RequestSpec(account, -5)]
    with pytest.raises(InvalidAmount, match="-5"), world.engine.begin() as connection:
        create_requests(connection, specs, now=world.clock.now(), rng=rng(), city=CITY)
    assert row_counts(world.engine) == before
