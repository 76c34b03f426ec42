"""Every TransferResult and AccountResult, on both backends, each case in a rolled-back
transaction over the standard world (TigerBeetle's codes and validation order)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from ledger import (
    Account,
    AccountFlags,
    AccountResult,
    Ledger,
    Transfer,
    TransferFlags,
    TransferResult,
)
from ledger.model import AMOUNT_MAX_DONG, ID_MAX, MEMO_MAX_CHARS, REFERENCE_MAX_CHARS
from tests.ledger.conftest import (
    BANK,
    BUYER,
    BUYER_FUNDS,
    LIMITED,
    OTHER,
    SPARE,
    USD,
    VENDOR,
    TestClock,
    balances,
)

F = TransferFlags
R = TransferResult
PENDING, POST, VOID = F.PENDING, F.POST_PENDING_TRANSFER, F.VOID_PENDING_TRANSFER
HALF = AMOUNT_MAX_DONG // 2 + 1


@dataclass
class Case:
    setup: list[Transfer]
    probe: list[Transfer]
    expected: list[TransferResult]
    advance_s: int = 0
    name: str = field(default="")


def t(id: int, debit: int = BANK, credit: int = SPARE, amount: int = 10, **kw: object) -> Transfer:
    return Transfer(id, debit, credit, amount, **kw)  # type: ignore[arg-type]


def pend(id: int, amount: int = 100, **kw: object) -> Transfer:
    return t(id, BUYER, VENDOR, amount, flags=PENDING, **kw)


CASES: dict[str, Case] = {
    "ok": Case([], [t(1)], [R.ok]),
    "reserved_flag": Case([], [t(1, flags=F(64))], [R.reserved_flag]),
    "id_must_not_be_zero": Case([], [t(0)], [R.id_must_not_be_zero]),
    "id_out_of_range": Case([], [t(-1), t(ID_MAX + 1)], [R.id_out_of_range] * 2),
    "flags_are_mutually_exclusive": Case(
        [pend(5)],
        [t(1, 0, 0, 0, flags=POST | VOID, pending_id=5), t(2, 0, 0, 0, flags=POST | PENDING)],
        [R.flags_are_mutually_exclusive] * 2,
    ),
    "debit_account_id_must_not_be_zero": Case([], [t(1, 0)], [R.debit_account_id_must_not_be_zero]),
    "debit_account_id_out_of_range": Case([], [t(1, -3)], [R.debit_account_id_out_of_range]),
    "credit_account_id_must_not_be_zero": Case(
        [], [t(1, BANK, 0)], [R.credit_account_id_must_not_be_zero]
    ),
    "credit_account_id_out_of_range": Case(
        [], [t(1, BANK, 2**63)], [R.credit_account_id_out_of_range]
    ),
    "accounts_must_be_different": Case([], [t(1, BANK, BANK)], [R.accounts_must_be_different]),
    "pending_id_must_be_zero": Case([], [t(1, pending_id=9)], [R.pending_id_must_be_zero]),
    "pending_id_must_not_be_zero": Case(
        [], [t(1, 0, 0, 0, flags=POST)], [R.pending_id_must_not_be_zero]
    ),
    "pending_id_out_of_range": Case(
        [], [t(1, 0, 0, 0, flags=VOID, pending_id=-2)], [R.pending_id_out_of_range]
    ),
    "pending_id_must_be_different": Case(
        [], [t(1, 0, 0, 0, flags=POST, pending_id=1)], [R.pending_id_must_be_different]
    ),
    "timeout_reserved_for_pending_transfer": Case(
        [pend(5)],
        [t(1, timeout_s=5), t(2, 0, 0, 0, flags=POST, pending_id=5, timeout_s=1)],
        [R.timeout_reserved_for_pending_transfer] * 2,
    ),
    "timeout_must_not_be_negative": Case(
        [], [pend(1, timeout_s=-1)], [R.timeout_must_not_be_negative]
    ),
    "overflows_timeout": Case([], [pend(1, timeout_s=2**32)], [R.overflows_timeout]),
    "amount_must_not_be_negative": Case([], [t(1, amount=-5)], [R.amount_must_not_be_negative]),
    "reference_too_long": Case(
        [], [t(1, reference="x" * (REFERENCE_MAX_CHARS + 1))], [R.reference_too_long]
    ),
    "memo_too_long": Case([], [t(1, memo="x" * (MEMO_MAX_CHARS + 1))], [R.memo_too_long]),
    "debit_account_not_found": Case([], [t(1, 77)], [R.debit_account_not_found]),
    "credit_account_not_found": Case([], [t(1, BANK, 77)], [R.credit_account_not_found]),
    "accounts_must_have_the_same_currency": Case(
        [], [t(1, BANK, USD)], [R.accounts_must_have_the_same_currency]
    ),
    "pending_transfer_not_found": Case(
        [], [t(1, 0, 0, 0, flags=POST, pending_id=55)], [R.pending_transfer_not_found]
    ),
    "pending_transfer_not_pending": Case(
        [t(5)], [t(1, 0, 0, 0, flags=POST, pending_id=5)], [R.pending_transfer_not_pending]
    ),
    "pending_transfer_has_different_debit_account_id": Case(
        [pend(5)],
        [t(1, BANK, 0, 0, flags=POST, pending_id=5)],
        [R.pending_transfer_has_different_debit_account_id],
    ),
    "pending_transfer_has_different_credit_account_id": Case(
        [pend(5)],
        [t(1, BUYER, BANK, 0, flags=POST, pending_id=5)],
        [R.pending_transfer_has_different_credit_account_id],
    ),
    "exceeds_pending_transfer_amount": Case(
        [pend(5, 100)],
        [t(1, 0, 0, 101, flags=POST, pending_id=5)],
        [R.exceeds_pending_transfer_amount],
    ),
    "pending_transfer_has_different_amount": Case(
        [pend(5, 100)],
        [t(1, 0, 0, 40, flags=VOID, pending_id=5)],
        [R.pending_transfer_has_different_amount],
    ),
    "exists_with_different_fields": Case(
        [t(5, amount=10, memo="a")],
        [t(5, amount=11, memo="a"), t(5, amount=10, memo="b"), t(5, BANK, OTHER, 10, memo="a")],
        [R.exists_with_different_fields] * 3,
    ),
    "exists": Case(
        [t(5, memo="a", metadata={"k": [1, "x"]})],
        [t(5, memo="a", metadata={"k": [1, "x"]})],
        [R.exists],
    ),
    "pending_transfer_already_posted": Case(
        [pend(5), t(6, 0, 0, 0, flags=POST, pending_id=5)],
        [t(1, 0, 0, 0, flags=VOID, pending_id=5)],
        [R.pending_transfer_already_posted],
    ),
    "pending_transfer_already_voided": Case(
        [pend(5), t(6, 0, 0, 0, flags=VOID, pending_id=5)],
        [t(1, 0, 0, 0, flags=POST, pending_id=5)],
        [R.pending_transfer_already_voided],
    ),
    "pending_transfer_expired": Case(
        [pend(5, timeout_s=30)],
        [t(1, 0, 0, 0, flags=POST, pending_id=5)],
        [R.pending_transfer_expired],
        advance_s=31,
    ),
    "amount_must_not_be_zero": Case([], [t(1, amount=0)], [R.amount_must_not_be_zero]),
    "overflows_debits_pending": Case(
        [t(5, OTHER, SPARE, AMOUNT_MAX_DONG, flags=PENDING)],
        [t(1, OTHER, BANK, 1, flags=PENDING)],
        [R.overflows_debits_pending],
    ),
    "overflows_credits_pending": Case(
        [t(5, OTHER, SPARE, AMOUNT_MAX_DONG, flags=PENDING)],
        [t(1, BANK, SPARE, 1, flags=PENDING)],
        [R.overflows_credits_pending],
    ),
    "overflows_debits_posted": Case(
        [t(5, amount=AMOUNT_MAX_DONG - BUYER_FUNDS)],
        [t(1, BANK, OTHER, 1)],
        [R.overflows_debits_posted],
    ),
    "overflows_credits_posted": Case(
        [t(5, amount=AMOUNT_MAX_DONG - BUYER_FUNDS)],
        [t(1, OTHER, SPARE, BUYER_FUNDS + 1)],
        [R.overflows_credits_posted],
    ),
    "overflows_debits": Case(
        [t(5, OTHER, SPARE, HALF, flags=PENDING)], [t(1, OTHER, BANK, HALF)], [R.overflows_debits]
    ),
    "overflows_credits": Case(
        [t(5, OTHER, SPARE, HALF, flags=PENDING)], [t(1, BANK, SPARE, HALF)], [R.overflows_credits]
    ),
    "exceeds_credits": Case(
        [pend(5, BUYER_FUNDS - 10)],
        [t(1, BUYER, VENDOR, 11), t(2, BUYER, VENDOR, 10)],
        [R.exceeds_credits, R.ok],
    ),
    "exceeds_debits": Case(
        [t(5, LIMITED, BANK, 50)],
        [t(1, BANK, LIMITED, 51), t(2, BANK, LIMITED, 50)],
        [R.exceeds_debits, R.ok],
    ),
    "linked_event_failed": Case(
        [],
        [t(1, flags=F.LINKED), t(2, BUYER, VENDOR, BUYER_FUNDS + 1), t(3)],
        [R.linked_event_failed, R.exceeds_credits, R.ok],
    ),
    "linked_event_chain_open": Case(
        [], [t(1), t(2, flags=F.LINKED)], [R.ok, R.linked_event_chain_open]
    ),
}


def _run_case(db: Engine, ledger: Ledger, clock: TestClock, case: Case) -> list[TransferResult]:
    with db.connect() as conn:
        transaction = conn.begin()
        try:
            assert ledger.create_transfers(case.setup, connection=conn) == [R.ok] * len(case.setup)
            clock.advance(case.advance_s)
            return ledger.create_transfers(case.probe, connection=conn)
        finally:
            transaction.rollback()


def test_every_transfer_result_code_is_produced_as_tigerbeetle_would(
    db: Engine, world: Ledger, clock: TestClock
) -> None:
    before = [balances(world, i) for i in (BANK, BUYER, VENDOR)]
    wrong = {}
    for name, case in CASES.items():
        got = _run_case(db, world, clock, case)
        if got != case.expected:
            wrong[name] = got
    assert wrong == {}
    # Each case ran in a transaction that was rolled back: nothing leaked into the ledger.
    assert [balances(world, i) for i in (BANK, BUYER, VENDOR)] == before
    assert world.verify() == []


def test_the_case_table_covers_every_result_code() -> None:
    produced = {code for case in CASES.values() for code in case.expected}
    assert produced == set(TransferResult)
    assert all(name in {c.value for c in TransferResult} for name in CASES)


def test_every_account_result_code(ledger: Ledger) -> None:
    both = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
    assert ledger.create_accounts([Account(1, "a", holder="A")]) == [AccountResult.ok]
    cases = {
        AccountResult.reserved_flag: Account(2, "b", flags=AccountFlags(64)),
        AccountResult.id_must_not_be_zero: Account(0, "b"),
        AccountResult.id_out_of_range: Account(-4, "b"),
        AccountResult.flags_are_mutually_exclusive: Account(2, "b", flags=both),
        AccountResult.code_must_not_be_empty: Account(2, " "),
        AccountResult.code_too_long: Account(2, "c" * 65),
        AccountResult.currency_invalid: Account(2, "b", currency="vnd"),
        AccountResult.holder_too_long: Account(2, "b", holder="h" * 201),
        AccountResult.exists_with_different_fields: Account(1, "a", holder="B"),
        AccountResult.exists: Account(1, "a", holder="A"),
        AccountResult.code_already_used: Account(2, "a"),
    }
    got = {expected: ledger.create_accounts([a])[0] for expected, a in cases.items()}
    assert got == {expected: expected for expected in cases}
    linked = AccountFlags.LINKED
    chain = [Account(3, "c", flags=linked), Account(4, "a")]
    assert ledger.create_accounts(chain) == [
        AccountResult.linked_event_failed,
        AccountResult.code_already_used,
    ]
    assert ledger.create_accounts([Account(5, "e", flags=linked)]) == [
        AccountResult.linked_event_chain_open
    ]
    assert [a.id for a in ledger.lookup_accounts([1, 2, 3, 4, 5])] == [1]
    covered = {*cases, AccountResult.ok, AccountResult.linked_event_failed}
    assert covered | {AccountResult.linked_event_chain_open} == set(AccountResult)
