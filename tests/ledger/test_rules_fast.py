"""The plain-transfer fast path (``rules.plain_step``) decides as ``check`` and ``apply``.

Whenever the fast path accepts, ``check`` returns the same ``Posting``; whenever ``check``
refuses (any result code), the fast path declines, so the refusal keeps ``check``'s code.
"""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import example, given, settings

from ledger import Transfer, TransferFlags, TransferResult
from ledger.model import AMOUNT_MAX_DONG, ID_MAX, MEMO_MAX_CHARS, REFERENCE_MAX_CHARS, Balances
from ledger.rules import AccountState, apply, check, plain_step

NOW_NS = 1_777_000_000_000_000_000
BIG = AMOUNT_MAX_DONG - 5
EDGE_INTS = st.sampled_from([0, 1, 2, -1, ID_MAX, ID_MAX + 1, BIG, AMOUNT_MAX_DONG])
SMALL = st.integers(0, 1_000)
BALANCE = st.one_of(SMALL, st.sampled_from([0, BIG, AMOUNT_MAX_DONG // 2]))
TEXT = st.sampled_from(["", "order-7", "x" * REFERENCE_MAX_CHARS, "y" * (MEMO_MAX_CHARS + 1)])


@st.composite
def accounts(draw: st.DrawFn, account_id: int) -> AccountState | None:
    if draw(st.integers(0, 9)) == 0:
        return None  # not found
    balances = Balances(draw(BALANCE), draw(BALANCE), draw(BALANCE), draw(BALANCE))
    currency = draw(st.sampled_from(["VND", "VND", "USD"]))
    return AccountState(account_id, currency, draw(st.sampled_from([0, 2, 4])), balances)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Transfer, AccountState | None, AccountState | None]:
    debit_id = draw(st.one_of(st.integers(1, 3), EDGE_INTS))
    credit_id = draw(st.one_of(st.integers(1, 3), EDGE_INTS))
    transfer = Transfer(
        id=draw(st.one_of(st.integers(1, 10**6), EDGE_INTS)),
        debit_account_id=debit_id,
        credit_account_id=credit_id,
        amount_dong=draw(st.one_of(st.integers(-2, 2_000), EDGE_INTS)),
        reference=draw(TEXT),
        memo=draw(TEXT),
        flags=draw(st.sampled_from([TransferFlags.NONE] * 4 + list(TransferFlags))),
        pending_id=draw(st.sampled_from([None, None, 0, 5])),
        timeout_s=draw(st.sampled_from([0, 0, 0, 1, -1])),
    )
    # An account is found under the id the transfer names, as TransferState looks it up.
    return transfer, draw(accounts(debit_id)), draw(accounts(credit_id))


def _check(t: Transfer, debit: AccountState | None, credit: AccountState | None) -> object:
    return check(t, debit, credit, existing=None, pending=None, now_ns=NOW_NS)


@settings(max_examples=1000, deadline=None)
@given(cases())
@example(
    (
        Transfer(7, 1, 2, 100),
        AccountState(1, "VND", 2, Balances(0, 0, 0, 99)),  # exceeds_credits by one
        AccountState(2, "VND", 0, Balances()),
    )
)
def test_fast_path_accepts_exactly_what_check_accepts_for_plain_transfers(
    case: tuple[Transfer, AccountState | None, AccountState | None],
) -> None:
    transfer, debit, credit = case
    fast = plain_step(transfer, debit, credit) if transfer.flags == 0 else None
    slow = _check(transfer, debit, credit)
    if fast is not None:
        assert slow == fast.posting
        assert debit is not None
        assert credit is not None
        assert fast.debit.balances == apply(debit.balances, fast.posting, debit_side=True)
        assert fast.credit.balances == apply(credit.balances, fast.posting, debit_side=False)
        assert fast.debit[:3] == debit[:3]
        assert fast.credit[:3] == credit[:3]
    elif transfer.flags == 0:
        assert isinstance(slow, TransferResult), f"fast path declined an acceptable {transfer}"


def test_fast_path_posting_is_checks_posting() -> None:
    debit = AccountState(1, "VND", 2, Balances(0, 0, 0, 100))
    credit = AccountState(2, "VND", 4, Balances(0, 100, 0, 0))
    transfer = Transfer(9, 1, 2, 100, reference="r", memo="m", metadata={"k": 1})
    fast = plain_step(transfer, debit, credit)
    assert fast is not None
    assert fast.posting == _check(transfer, debit, credit)
    assert fast.debit.balances == Balances(0, 100, 0, 100)
    assert fast.credit.balances == Balances(0, 100, 0, 100)
    assert plain_step(Transfer(9, 1, 2, 101), debit, credit) is None
    assert _check(Transfer(9, 1, 2, 101), debit, credit) is TransferResult.exceeds_credits
