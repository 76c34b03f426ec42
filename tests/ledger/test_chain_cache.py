"""The head and balances a connection keeps between the ledger's own SQLite transactions
(ledger/sqlite_tx.py) are dropped whenever anything else changed the database: each call still
decides on the stored state. Run on both backends (PostgreSQL keeps no cache: same results)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from ledger import Account, Ledger, Transfer, TransferFlags, TransferResult
from merchant_app.database import make_engine
from tests.ledger.conftest import (
    BANK,
    BUYER,
    BUYER_FUNDS,
    SPARE,
    START,
    VENDOR,
    TestClock,
    balances,
)

R = TransferResult
SIX_TENTHS = BUYER_FUNDS * 6 // 10
THREE_TENTHS = BUYER_FUNDS * 3 // 10
TWO_TENTHS = BUYER_FUNDS * 2 // 10


def _ahead(engine: Engine) -> Ledger:
    """Another writer whose clock runs an hour ahead: a ledger deciding on a stale head would
    then not even collide with its timestamps (the unique index would catch that, and the call
    be retried alone, hiding the staleness from these tests)."""
    return Ledger(engine, clock=TestClock(START + timedelta(hours=1)))


@pytest.fixture
def other_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_a_commit_by_another_engine_is_seen_by_the_next_call(
    world: Ledger, other_engine: Engine
) -> None:
    other = _ahead(other_engine)
    assert world.create_transfers([Transfer(1, BUYER, VENDOR, SIX_TENTHS)]) == [R.ok]
    assert world.create_transfers([Transfer(2, BANK, VENDOR, 1)]) == [R.ok]  # cache in use
    assert other.create_transfers([Transfer(3, BUYER, VENDOR, THREE_TENTHS)]) == [R.ok]
    # 100,000 left: a ledger still believing in its own last commit would accept this.
    assert world.create_transfers([Transfer(4, BUYER, VENDOR, TWO_TENTHS)]) == [R.exceeds_credits]
    assert world.create_transfers([Transfer(3, BUYER, VENDOR, THREE_TENTHS)]) == [R.exists]
    assert world.create_transfers([Transfer(5, BUYER, VENDOR, 1)]) == [R.ok]
    assert other.create_transfers([Transfer(6, BUYER, VENDOR, 1)]) == [R.ok]
    assert balances(world, BUYER) == (0, SIX_TENTHS + THREE_TENTHS + 2, 0, BUYER_FUNDS)
    assert world.verify() == []  # one hash chain and one head through both writers
    assert other.verify() == []


def test_a_rolled_back_caller_transaction_leaves_the_next_call_right(
    world: Ledger, db: Engine
) -> None:
    assert world.create_transfers([Transfer(1, BUYER, VENDOR, SIX_TENTHS)]) == [R.ok]
    # On SQLite the pool has one connection here: the caller's transaction runs on the very
    # connection whose cache holds the state after transfer 1.
    with db.connect() as conn:
        transaction = conn.begin()
        assert _ahead(db).create_transfers(
            [Transfer(2, BUYER, VENDOR, THREE_TENTHS)], connection=conn
        ) == [R.ok]
        transaction.rollback()
    assert world.create_transfers([Transfer(2, BUYER, VENDOR, THREE_TENTHS)]) == [R.ok]
    assert balances(world, BUYER) == (0, SIX_TENTHS + THREE_TENTHS, 0, BUYER_FUNDS)
    assert world.verify() == []


def test_a_committed_caller_transaction_on_the_same_connection_is_seen(
    world: Ledger, db: Engine
) -> None:
    assert world.create_transfers([Transfer(1, BUYER, VENDOR, SIX_TENTHS)]) == [R.ok]
    with db.begin() as conn:  # on the connection whose cache holds the state after transfer 1
        assert _ahead(db).create_transfers(
            [Transfer(2, BUYER, VENDOR, THREE_TENTHS)], connection=conn
        ) == [R.ok]
    assert world.create_transfers([Transfer(3, BUYER, VENDOR, TWO_TENTHS)]) == [R.exceeds_credits]
    assert world.create_transfers([Transfer(4, BUYER, VENDOR, 1)]) == [R.ok]
    assert balances(world, BUYER) == (0, SIX_TENTHS + THREE_TENTHS + 1, 0, BUYER_FUNDS)
    assert world.verify() == []


def test_accounts_created_between_calls_are_found(world: Ledger) -> None:
    assert world.create_transfers([Transfer(1, BANK, VENDOR, 5)]) == [R.ok]
    assert world.create_transfers([Transfer(2, BANK, 100, 5)]) == [R.credit_account_not_found]
    assert world.create_accounts([Account(100, "new")]) == ["ok"]
    assert world.create_transfers([Transfer(3, BANK, 100, 5)]) == [R.ok]
    assert balances(world, 100) == (0, 0, 0, 5)
    assert world.verify() == []


def test_balances_released_by_an_expiry_are_not_kept_stale(world: Ledger, clock: TestClock) -> None:
    hold = Transfer(1, BUYER, VENDOR, SIX_TENTHS, timeout_s=1, flags=TransferFlags.PENDING)
    assert world.create_transfers([hold]) == [R.ok]
    assert balances(world, BUYER) == (SIX_TENTHS, 0, 0, BUYER_FUNDS)
    clock.advance(2)
    # This call touches neither account of the hold, but its sweep expires the hold first.
    assert world.create_transfers([Transfer(2, BANK, SPARE, 1)]) == [R.ok]
    assert world.create_transfers([Transfer(3, BUYER, VENDOR, SIX_TENTHS)]) == [R.ok]
    assert balances(world, BUYER) == (0, SIX_TENTHS, 0, BUYER_FUNDS)
    assert world.verify() == []
