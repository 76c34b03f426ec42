"""Ledger behaviour on both backends: idempotency, linked chains, two-phase transfers, expiry,
balancing, reversal, history, balance as of a time, and misuse raising LedgerError."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger import (
    MAX_BATCH_TRANSFERS,
    Ledger,
    LedgerError,
    Transfer,
    TransferFlags,
    TransferResult,
    derive_id,
)
from ledger.model import ID_MAX
from tests.ledger.conftest import (
    BANK,
    BUYER,
    BUYER_FUNDS,
    FUNDING_ID,
    SPARE,
    VENDOR,
    TestClock,
    balances,
)

F = TransferFlags
R = TransferResult


def test_retrying_a_batch_never_posts_twice(world: Ledger) -> None:
    batch = [Transfer(1, BUYER, VENDOR, 25_000, reference="order-1"), Transfer(2, BANK, SPARE, 7)]
    assert world.create_transfers(batch) == [R.ok, R.ok]
    assert world.create_transfers(batch) == [R.exists, R.exists]
    assert balances(world, VENDOR) == (0, 0, 0, 25_000)
    assert balances(world, BUYER) == (0, 25_000, 0, BUYER_FUNDS)
    changed = [Transfer(1, BUYER, VENDOR, 26_000, reference="order-1")]
    assert world.create_transfers(changed) == [R.exists_with_different_fields]
    assert balances(world, VENDOR) == (0, 0, 0, 25_000)
    assert [t.id for t in world.transfers_by_reference("order-1")] == [1]


def test_a_duplicate_id_inside_one_batch_is_exists(world: Ledger) -> None:
    same = Transfer(1, BUYER, VENDOR, 10)
    assert world.create_transfers([same, same]) == [R.ok, R.exists]
    assert balances(world, VENDOR) == (0, 0, 0, 10)


def test_linked_chain_is_all_or_nothing(world: Ledger) -> None:
    chain = [
        Transfer(1, BUYER, VENDOR, 600_000, flags=F.LINKED),
        Transfer(2, BUYER, SPARE, 300_000, flags=F.LINKED),
        Transfer(3, BUYER, VENDOR, 200_000),  # 1.1M in all: more than the buyer has
    ]
    assert world.create_transfers(chain) == [
        R.linked_event_failed,
        R.linked_event_failed,
        R.exceeds_credits,
    ]
    assert balances(world, BUYER) == (0, 0, 0, BUYER_FUNDS)
    assert world.get_transfers([1, 2, 3]) == []
    # The same ids may be used again once the chain failed; a passing chain commits together.
    ok_chain = [Transfer(1, BUYER, VENDOR, 600_000, flags=F.LINKED), Transfer(2, BUYER, SPARE, 1)]
    assert world.create_transfers(ok_chain) == [R.ok, R.ok]
    assert balances(world, BUYER) == (0, 600_001, 0, BUYER_FUNDS)


def test_a_failed_chain_does_not_disturb_its_neighbours(world: Ledger) -> None:
    batch = [
        Transfer(1, BANK, SPARE, 5),
        Transfer(2, BANK, SPARE, 5, flags=F.LINKED),
        Transfer(3, BANK, BANK, 5),
        Transfer(4, BANK, SPARE, 5),
    ]
    assert world.create_transfers(batch) == [
        R.ok,
        R.linked_event_failed,
        R.accounts_must_be_different,
        R.ok,
    ]
    assert balances(world, SPARE) == (0, 0, 0, 10)


def test_pending_then_partial_post_releases_the_rest(world: Ledger) -> None:
    hold = Transfer(1, BUYER, VENDOR, 100_000, flags=F.PENDING, timeout_s=60)
    assert world.create_transfers([hold]) == [R.ok]
    assert balances(world, BUYER) == (100_000, 0, 0, BUYER_FUNDS)
    assert balances(world, VENDOR) == (0, 0, 100_000, 0)
    post = Transfer(2, 0, 0, 60_000, flags=F.POST_PENDING_TRANSFER, pending_id=1)
    assert world.create_transfers([post]) == [R.ok]
    assert balances(world, BUYER) == (0, 60_000, 0, BUYER_FUNDS)
    assert balances(world, VENDOR) == (0, 0, 0, 60_000)
    (stored,) = world.get_transfers([2])
    assert (stored.debit_account_id, stored.credit_account_id, stored.amount_dong) == (
        BUYER,
        VENDOR,
        60_000,
    )
    assert world.create_transfers([post]) == [R.exists]
    assert world.verify() == []


def test_void_releases_the_hold_and_cannot_be_followed_by_post(world: Ledger) -> None:
    assert world.create_transfers([Transfer(1, BUYER, VENDOR, 900_000, flags=F.PENDING)]) == [R.ok]
    # The hold counts against the buyer's limit while it stands.
    assert world.create_transfers([Transfer(2, BUYER, SPARE, 100_001)]) == [R.exceeds_credits]
    void = Transfer(3, BUYER, VENDOR, 0, flags=F.VOID_PENDING_TRANSFER, pending_id=1)
    post = Transfer(4, 0, 0, 0, flags=F.POST_PENDING_TRANSFER, pending_id=1)
    assert world.create_transfers([void, post]) == [R.ok, R.pending_transfer_already_voided]
    assert balances(world, BUYER) == (0, 0, 0, BUYER_FUNDS)
    assert world.create_transfers([Transfer(2, BUYER, SPARE, 100_001)]) == [R.ok]


def test_expired_pending_is_voided_by_the_ledger(world: Ledger, clock: TestClock) -> None:
    assert world.create_transfers(
        [Transfer(1, BUYER, VENDOR, 5_000, flags=F.PENDING, timeout_s=30)]
    ) == [R.ok]
    clock.advance(29)
    assert world.expire_pending() == 0
    assert balances(world, BUYER) == (5_000, 0, 0, BUYER_FUNDS)
    clock.advance(2)
    assert world.expire_pending() == 1
    assert balances(world, BUYER) == (0, 0, 0, BUYER_FUNDS)
    (expiry,) = world.get_transfers([-1])
    assert expiry.expired
    assert (expiry.pending_id, expiry.flags) == (1, F.VOID_PENDING_TRANSFER)
    post = Transfer(2, 0, 0, 0, flags=F.POST_PENDING_TRANSFER, pending_id=1)
    assert world.create_transfers([post]) == [R.pending_transfer_expired]
    assert world.verify() == []


def test_expiry_also_happens_lazily_on_the_next_batch(world: Ledger, clock: TestClock) -> None:
    hold = Transfer(1, BUYER, VENDOR, 5_000, flags=F.PENDING, timeout_s=10)
    assert world.create_transfers([hold]) == [R.ok]
    clock.advance(11)
    assert world.create_transfers([Transfer(2, BANK, SPARE, 1)]) == [R.ok]
    assert balances(world, VENDOR) == (0, 0, 0, 0)
    assert [t.id for t in world.get_transfers([-1])] == [-1]


def test_balancing_debit_moves_only_what_is_there(world: Ledger) -> None:
    sweep = Transfer(1, BUYER, SPARE, 5_000_000, flags=F.BALANCING_DEBIT)
    assert world.create_transfers([sweep]) == [R.ok]
    (stored,) = world.get_transfers([1])
    assert stored.amount_dong == BUYER_FUNDS
    assert balances(world, BUYER) == (0, BUYER_FUNDS, 0, BUYER_FUNDS)
    assert world.create_transfers([sweep]) == [R.exists]
    again = Transfer(2, BUYER, SPARE, 0, flags=F.BALANCING_DEBIT)
    assert world.create_transfers([again]) == [R.exceeds_credits]


def test_reversal_is_a_new_transfer_that_restores_balances(world: Ledger) -> None:
    assert world.create_transfers([Transfer(1, BUYER, VENDOR, 40_000, reference="sale-9")]) == [
        R.ok
    ]
    reversal = Transfer(2, VENDOR, BUYER, 40_000, reference="sale-9", memo="reversal of 1")
    assert world.create_transfers([reversal]) == [R.ok]
    (buyer,) = world.lookup_accounts([BUYER])
    (vendor,) = world.lookup_accounts([VENDOR])
    assert (buyer.balance, vendor.balance) == (BUYER_FUNDS, 0)
    assert [t.id for t in world.transfers_by_reference("sale-9")] == [1, 2]
    assert len(world.get_transfers([1, 2])) == 2  # the original is still there, unchanged


def test_balance_as_of_a_time(world: Ledger, clock: TestClock) -> None:
    t0 = clock.now
    clock.advance(60)
    assert world.create_transfers([Transfer(1, BUYER, VENDOR, 1_000)]) == [R.ok]
    clock.advance(60)
    t1 = clock.now
    hold = Transfer(2, BUYER, VENDOR, 500, flags=F.PENDING)
    assert world.create_transfers([hold]) == [R.ok]
    clock.advance(60)
    post = Transfer(3, 0, 0, 200, flags=F.POST_PENDING_TRANSFER, pending_id=2)
    assert world.create_transfers([post]) == [R.ok]
    at = lambda when: world.balance_as_of(VENDOR, when)  # noqa: E731
    assert (at(t0).credits_posted, at(t0).credits_pending) == (0, 0)
    assert (at(t1).credits_posted, at(t1).balance) == (1_000, 1_000)
    assert at(t1 + timedelta(seconds=1)).credits_pending == 500
    assert (at(clock.now).credits_posted, at(clock.now).credits_pending) == (1_200, 0)
    assert at(clock.now).balances == world.lookup_accounts([VENDOR])[0].balances


def test_account_history_pages_with_a_cursor(world: Ledger) -> None:
    batch = [Transfer(i, BUYER, VENDOR, i) for i in range(1, 8)]
    assert world.create_transfers(batch) == [R.ok] * 7
    seen, cursor = [], None
    while True:
        page = world.account_transfers(VENDOR, cursor=cursor, limit=3)
        seen += [t.id for t in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(range(1, 8))
    assert [t.id for t in world.account_transfers(BUYER, limit=2).items] == [FUNDING_ID, 1]


def test_ledger_timestamps_increase_even_when_the_clock_goes_back(
    world: Ledger, clock: TestClock
) -> None:
    assert world.create_transfers([Transfer(1, BANK, SPARE, 1)]) == [R.ok]
    clock.advance(-3600)
    assert world.create_transfers([Transfer(2, BANK, SPARE, 1)]) == [R.ok]
    first, second = world.get_transfers([1, 2])
    assert second.timestamp_ns > first.timestamp_ns
    assert second.prev_hash == first.hash


def test_misuse_raises_and_writes_nothing(world: Ledger) -> None:
    too_many = [Transfer(i, BANK, SPARE, 1) for i in range(1, MAX_BATCH_TRANSFERS + 2)]
    with pytest.raises(LedgerError, match="8001 transfers"):
        world.create_transfers(too_many)
    with pytest.raises(LedgerError, match=r"transfers\[1\].amount_dong must be int"):
        world.create_transfers([Transfer(1, BANK, SPARE, 1), Transfer(2, BANK, SPARE, 1.5)])  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="metadata is not JSON"):
        world.create_transfers([Transfer(3, BANK, SPARE, 1, metadata={"x": object()})])
    with pytest.raises(LedgerError, match="limit"):
        world.account_transfers(BANK, limit=0)
    assert world.get_transfers([1, 2, 3]) == []
    assert balances(world, SPARE) == (0, 0, 0, 0)


def test_derive_id_is_deterministic_and_in_range() -> None:
    ids = {derive_id(f"buyer-app:{n}") for n in range(2000)}
    assert len(ids) == 2000
    assert all(1 <= i <= ID_MAX for i in ids)
    assert derive_id("buyer-app:x") == derive_id("buyer-app:x") != derive_id("buyer-app:y")
    with pytest.raises(LedgerError):
        derive_id("")


def test_big_batch_commits_in_one_transaction(world: Ledger) -> None:
    batch = [Transfer(i, BANK, SPARE, 1) for i in range(1, MAX_BATCH_TRANSFERS + 1)]
    assert world.create_transfers(batch) == [R.ok] * MAX_BATCH_TRANSFERS
    assert balances(world, SPARE) == (0, 0, 0, MAX_BATCH_TRANSFERS)
    assert world.verify() == []
