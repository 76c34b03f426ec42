"""The ledger's rules: pure checks over plain values. This code cannot do any IO.

``check`` decides one transfer against the state it needs (its two accounts, an existing
transfer with the same id, the pending transfer it posts or voids) and returns either a failure
``TransferResult`` or the ``Posting`` to apply. The order of the checks is TigerBeetle's, so the
same bad transfer gets the same result code it would get there.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import NamedTuple

from ledger.model import (
    AMOUNT_MAX_DONG,
    ID_MAX,
    MEMO_MAX_CHARS,
    REFERENCE_MAX_CHARS,
    TIMEOUT_MAX_S,
    TRANSFER_FLAGS_ALL,
    Balances,
    Transfer,
    TransferResult,
)

R = TransferResult
# Plain int masks: the hot path tests flags thousands of times per batch, and IntFlag
# arithmetic costs microseconds a go.
_LINKED, _PENDING, _POST, _VOID = 1, 2, 4, 8
_BAL_DEBIT, _BAL_CREDIT = 16, 32
_DMNEC, _CMNED = 2, 4
NS_PER_S = 1_000_000_000
_POST_OR_VOID = _POST | _VOID
_TWO_PHASE = _PENDING | _POST | _VOID
_BALANCING = _BAL_DEBIT | _BAL_CREDIT


class PendingStatus(Enum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


# Named tuples, not frozen dataclasses: a batch of 1,000 builds thousands of these, and a
# frozen dataclass's __init__ costs several times a tuple's.
class AccountState(NamedTuple):
    id: int
    currency: str
    flags: int  # AccountFlags bits
    balances: Balances


class Posting(NamedTuple):
    """An accepted transfer, resolved: what is stored and what it does to the two balances."""

    id: int
    debit_account_id: int
    credit_account_id: int
    amount_dong: int  # posted (or held, for pending; released, for void) amount
    flags: int  # TransferFlags bits, without LINKED
    pending_id: int | None
    pending_amount_dong: int  # the amount a post/void releases from pending; 0 otherwise
    timeout_s: int
    reference: str
    memo: str
    metadata: Mapping[str, object]
    requested_amount_dong: int


class PendingView(NamedTuple):
    posting: Posting
    expires_at_ns: int | None
    status: PendingStatus


def check(
    transfer: Transfer,
    debit: AccountState | None,
    credit: AccountState | None,
    *,
    existing: Posting | None,
    pending: PendingView | None,
    now_ns: int,
) -> TransferResult | Posting:
    """Decide one transfer. ``debit``/``credit`` are the accounts the transfer names (for a
    post/void naming 0, the pending transfer's accounts); ``existing`` is a stored transfer with
    the same id; ``pending`` the transfer that ``pending_id`` names."""
    assert now_ns > 0, "ledger time starts after the epoch"
    assert debit is None or transfer.debit_account_id in (0, debit.id)
    assert credit is None or transfer.credit_account_id in (0, credit.id)
    t = transfer
    flags = int(t.flags)
    if flags & ~TRANSFER_FLAGS_ALL:
        return R.reserved_flag
    if t.id == 0:
        return R.id_must_not_be_zero
    if not 0 < t.id <= ID_MAX:
        return R.id_out_of_range
    if flags & _POST_OR_VOID:
        return _check_post_or_void(t, flags, debit, credit, existing, pending, now_ns)
    problem = _check_single_fields(t, flags)
    if problem is not None:
        return problem
    if debit is None:
        return R.debit_account_not_found
    if credit is None:
        return R.credit_account_not_found
    if debit.currency != credit.currency:
        return R.accounts_must_have_the_same_currency
    if existing is not None:
        return _exists(t, flags, existing, t.debit_account_id, t.credit_account_id, t.amount_dong)
    return _check_amount(t, flags, debit, credit)


class PlainStep(NamedTuple):
    """An accepted plain transfer and its two accounts after it."""

    posting: Posting
    debit: AccountState
    credit: AccountState


def plain_step(
    t: Transfer, debit: AccountState | None, credit: AccountState | None
) -> PlainStep | None:
    """The common case at once: a single-phase transfer without flags, pending id or timeout
    that passes every check of ``check``. Returns its ``Posting`` (equal to what ``check``
    returns) with both accounts after ``apply``, or None when ``check`` must decide, so every
    failure keeps ``check``'s result code. The caller has already tested ``t.flags == 0`` and
    that no transfer has ``t.id``.

    Why a second path: a batch of 1,000 plain transfers spent most of its Python time walking
    ``check``'s ~40 ordered tests and ``apply``'s cases one function at a time
    (tests/ledger/test_rules_fast.py holds the two paths equal)."""
    amount = t.amount_dong
    if (
        debit is None
        or credit is None
        or t.pending_id
        or t.timeout_s
        or amount <= 0
        or not 0 < t.id <= ID_MAX
        or not 0 < debit.id <= ID_MAX
        or not 0 < credit.id <= ID_MAX
        or debit.id == credit.id
        or debit.currency != credit.currency
        or len(t.reference) > REFERENCE_MAX_CHARS
        or len(t.memo) > MEMO_MAX_CHARS
    ):
        return None
    dp, dpo, cp, cpo = debit.balances
    if dp + dpo + amount > AMOUNT_MAX_DONG or (debit.flags & _DMNEC and dp + dpo + amount > cpo):
        return None
    debit_after = Balances(dp, dpo + amount, cp, cpo)
    dp, dpo, cp, cpo = credit.balances
    if cp + cpo + amount > AMOUNT_MAX_DONG or (credit.flags & _CMNED and cp + cpo + amount > dpo):
        return None
    assert debit.id == t.debit_account_id, "the debit account is the one the transfer names"
    assert credit.id == t.credit_account_id, "the credit account is the one the transfer names"
    return PlainStep(
        Posting(
            t.id, debit.id, credit.id, amount, 0, None, 0, 0, t.reference, t.memo, t.metadata,
            amount,
        ),
        AccountState(debit.id, debit.currency, debit.flags, debit_after),
        AccountState(credit.id, credit.currency, credit.flags, Balances(dp, dpo, cp, cpo + amount)),
    )  # fmt: skip


def _check_single_fields(t: Transfer, flags: int) -> TransferResult | None:
    id_problem = _check_account_ids(t, allow_zero=False)
    if id_problem is not None:
        return id_problem
    if t.debit_account_id == t.credit_account_id:
        return R.accounts_must_be_different
    if t.pending_id not in (None, 0):
        return R.pending_id_must_be_zero
    if not flags & _PENDING and t.timeout_s != 0:
        return R.timeout_reserved_for_pending_transfer
    if t.timeout_s < 0:
        return R.timeout_must_not_be_negative
    if t.timeout_s > TIMEOUT_MAX_S:
        return R.overflows_timeout
    return _check_texts(t)


def _check_account_ids(t: Transfer, *, allow_zero: bool) -> TransferResult | None:
    if t.debit_account_id == 0 and not allow_zero:
        return R.debit_account_id_must_not_be_zero
    if not 0 <= t.debit_account_id <= ID_MAX:
        return R.debit_account_id_out_of_range
    if t.credit_account_id == 0 and not allow_zero:
        return R.credit_account_id_must_not_be_zero
    if not 0 <= t.credit_account_id <= ID_MAX:
        return R.credit_account_id_out_of_range
    return None


def _check_texts(t: Transfer) -> TransferResult | None:
    if t.amount_dong < 0:
        return R.amount_must_not_be_negative
    if len(t.reference) > REFERENCE_MAX_CHARS:
        return R.reference_too_long
    if len(t.memo) > MEMO_MAX_CHARS:
        return R.memo_too_long
    return None


def _check_amount(
    t: Transfer, flags: int, debit: AccountState, credit: AccountState
) -> TransferResult | Posting:
    amount = t.amount_dong
    dr, cr = debit.balances, credit.balances
    if flags & _BAL_DEBIT:
        amount = _clamp(amount, dr.credits_posted - dr.debits_posted - dr.debits_pending)
        if amount == 0:
            return R.exceeds_credits
    if flags & _BAL_CREDIT:
        amount = _clamp(amount, cr.debits_posted - cr.credits_posted - cr.credits_pending)
        if amount == 0:
            return R.exceeds_debits
    if amount == 0:
        return R.amount_must_not_be_zero
    pending = bool(flags & _PENDING)
    overflow = _check_overflow(amount, dr, cr, pending=pending)
    if overflow is not None:
        return overflow
    if debit.flags & _DMNEC and (dr.debits_pending + dr.debits_posted + amount > dr.credits_posted):
        return R.exceeds_credits
    if credit.flags & _CMNED and (
        cr.credits_pending + cr.credits_posted + amount > cr.debits_posted
    ):
        return R.exceeds_debits
    return _posting(t, flags, t.debit_account_id, t.credit_account_id, amount, 0)


def _clamp(requested: int, available: int) -> int:
    """Balancing: the requested amount (0 = no limit) cut to what is available."""
    available = max(available, 0)
    return available if requested == 0 else min(requested, available)


def _check_overflow(
    amount: int, dr: Balances, cr: Balances, *, pending: bool
) -> TransferResult | None:
    if pending and dr.debits_pending + amount > AMOUNT_MAX_DONG:
        return R.overflows_debits_pending
    if pending and cr.credits_pending + amount > AMOUNT_MAX_DONG:
        return R.overflows_credits_pending
    if not pending and dr.debits_posted + amount > AMOUNT_MAX_DONG:
        return R.overflows_debits_posted
    if not pending and cr.credits_posted + amount > AMOUNT_MAX_DONG:
        return R.overflows_credits_posted
    if dr.debits_pending + dr.debits_posted + amount > AMOUNT_MAX_DONG:
        return R.overflows_debits
    if cr.credits_pending + cr.credits_posted + amount > AMOUNT_MAX_DONG:
        return R.overflows_credits
    return None


def _check_post_or_void(
    t: Transfer,
    flags: int,
    debit: AccountState | None,
    credit: AccountState | None,
    existing: Posting | None,
    pending: PendingView | None,
    now_ns: int,
) -> TransferResult | Posting:
    post = bool(flags & _POST)
    if flags & _POST_OR_VOID == _POST_OR_VOID or flags & (_PENDING | _BALANCING):
        return R.flags_are_mutually_exclusive
    if t.pending_id is None or t.pending_id == 0:
        return R.pending_id_must_not_be_zero
    if not 0 < t.pending_id <= ID_MAX:
        return R.pending_id_out_of_range
    if t.pending_id == t.id:
        return R.pending_id_must_be_different
    if t.timeout_s != 0:
        return R.timeout_reserved_for_pending_transfer
    problem = _check_account_ids(t, allow_zero=True) or _check_texts(t)
    if problem is not None:
        return problem
    if pending is None:
        return R.pending_transfer_not_found
    p = pending.posting
    if not p.flags & _PENDING:
        return R.pending_transfer_not_pending
    if t.debit_account_id not in (0, p.debit_account_id):
        return R.pending_transfer_has_different_debit_account_id
    if t.credit_account_id not in (0, p.credit_account_id):
        return R.pending_transfer_has_different_credit_account_id
    if t.amount_dong > p.amount_dong:
        return R.exceeds_pending_transfer_amount
    if not post and 0 < t.amount_dong < p.amount_dong:
        return R.pending_transfer_has_different_amount
    amount = t.amount_dong or p.amount_dong
    if existing is not None:
        return _exists(t, flags, existing, p.debit_account_id, p.credit_account_id, amount)
    return _resolve(t, flags, pending, amount, post=post, now_ns=now_ns, accounts=(debit, credit))


def _resolve(
    t: Transfer,
    flags: int,
    pending: PendingView,
    amount: int,
    *,
    post: bool,
    now_ns: int,
    accounts: tuple[AccountState | None, AccountState | None],
) -> TransferResult | Posting:
    p = pending.posting
    if pending.status is PendingStatus.POSTED:
        return R.pending_transfer_already_posted
    if pending.status is PendingStatus.VOIDED:
        return R.pending_transfer_already_voided
    if pending.status is PendingStatus.EXPIRED:
        return R.pending_transfer_expired
    if pending.expires_at_ns is not None and pending.expires_at_ns <= now_ns:
        return R.pending_transfer_expired
    debit, credit = accounts
    assert debit is not None, "a pending transfer's debit account exists"
    assert credit is not None, "a pending transfer's credit account exists"
    if post and debit.balances.debits_posted + amount > AMOUNT_MAX_DONG:
        return R.overflows_debits_posted
    if post and credit.balances.credits_posted + amount > AMOUNT_MAX_DONG:
        return R.overflows_credits_posted
    return _posting(t, flags, p.debit_account_id, p.credit_account_id, amount, p.amount_dong)


def _posting(
    t: Transfer, flags: int, debit_id: int, credit_id: int, amount: int, pending_amount: int
) -> Posting:
    assert amount > 0, "an accepted transfer moves money"
    assert debit_id != credit_id, "double entry needs two accounts"
    # Positional, in field order (keywords cost a named tuple twice as much to build).
    return Posting(
        t.id, debit_id, credit_id, amount, flags & ~_LINKED, t.pending_id or None,
        pending_amount, t.timeout_s, t.reference, t.memo, t.metadata, t.amount_dong,
    )  # fmt: skip


def _exists(
    t: Transfer, flags: int, e: Posting, debit_id: int, credit_id: int, amount: int
) -> TransferResult:
    """Same id again: ``exists`` when every field matches, else exists_with_different_fields."""
    balancing = bool(flags & _BALANCING)
    same = (
        flags & ~_LINKED == e.flags
        and debit_id == e.debit_account_id
        and credit_id == e.credit_account_id
        and (amount == e.amount_dong or (balancing and t.amount_dong == e.requested_amount_dong))
        and (t.pending_id or None) == e.pending_id
        and t.timeout_s == e.timeout_s
        and t.reference == e.reference
        and t.memo == e.memo
        and dict(t.metadata) == dict(e.metadata)
    )
    return R.exists if same else R.exists_with_different_fields


def apply(balances: Balances, posting: Posting, *, debit_side: bool) -> Balances:
    """The account balances after ``posting`` (the balance invariant lives here)."""
    flags = posting.flags
    amount, released = posting.amount_dong, posting.pending_amount_dong
    dp, dpo, cp, cpo = balances
    if not flags & _TWO_PHASE:  # the common case first: a single-phase transfer
        if debit_side:
            dpo += amount
        else:
            cpo += amount
    elif flags & _PENDING:
        dp, cp = (dp + amount, cp) if debit_side else (dp, cp + amount)
    elif flags & _VOID:
        dp, cp = (dp - released, cp) if debit_side else (dp, cp - released)
    elif debit_side:  # post
        dp, dpo = dp - released, dpo + amount
    else:
        cp, cpo = cp - released, cpo + amount
    result = Balances(dp, dpo, cp, cpo)
    assert min(dp, dpo, cp, cpo) >= 0, f"balances never go negative: {result}"
    return result


def within_limits(flags: int, b: Balances) -> bool:
    """The flagged-account limits (again in the PostgreSQL trigger and in verify)."""
    if flags & _DMNEC and (b.debits_pending + b.debits_posted > b.credits_posted):
        return False
    return not (flags & _CMNED and b.credits_pending + b.credits_posted > b.debits_posted)


def expires_at_ns(flags: int, timeout_s: int, timestamp_ns: int) -> int | None:
    """When a transfer with these flags and timeout, stored at ``timestamp_ns``, expires."""
    if flags & _PENDING and timeout_s > 0:
        return timestamp_ns + timeout_s * NS_PER_S
    return None
