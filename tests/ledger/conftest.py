"""Ledger fixtures: a ledger on each backend with a clock the test moves, and a small world."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from ledger import Account, AccountFlags, Ledger, Transfer

START = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)

# The standard world (ids): a bank's own book, customers that may not overdraw, a liability
# account whose credits may not exceed its debits, and a USD account.
BANK, BUYER, VENDOR, LIMITED, USD, SPARE, OTHER = 1, 2, 3, 4, 5, 6, 7
BUYER_FUNDS = 1_000_000
FUNDING_ID = 10**12


class TestClock:
    """The ledger's injected clock; tests move it by whole seconds."""

    __test__ = False

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def ledger(db: Engine, clock: TestClock) -> Ledger:
    return Ledger(db, clock=clock)


def world_accounts() -> list[Account]:
    customer = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    return [
        Account(BANK, "bank:book", holder="NGAN HANG"),
        Account(BUYER, "970405:0001", flags=customer, holder="NGUYEN VAN A"),
        Account(VENDOR, "970405:0002", flags=customer, holder="TRAN THI B", metadata={"stall": 7}),
        Account(LIMITED, "limited", flags=AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS),
        Account(USD, "usd", currency="USD"),
        Account(SPARE, "spare"),
        Account(OTHER, "other"),
    ]


@pytest.fixture
def world(ledger: Ledger) -> Ledger:
    """The standard accounts, with the buyer funded by the bank."""
    assert all(r == "ok" for r in ledger.create_accounts(world_accounts()))
    assert ledger.create_transfers([Transfer(FUNDING_ID, BANK, BUYER, BUYER_FUNDS)]) == ["ok"]
    return ledger


def balances(ledger: Ledger, account_id: int) -> tuple[int, int, int, int]:
    (a,) = ledger.lookup_accounts([account_id])
    return (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)
