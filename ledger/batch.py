"""Apply a batch of transfers or accounts to an in-memory view of the ledger. No IO.

Events are decided in order, each seeing the effects of the ones accepted before it (so a
duplicate id later in the same batch is ``exists`` and a post may follow its pending). A
``linked`` chain succeeds or fails as one: on the first failure the failing event keeps its own
result, every other event of the chain gets ``linked_event_failed``, and the chain's effects are
undone. A batch that ends inside a chain fails that chain with ``linked_event_chain_open``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ledger.account_rules import check_account
from ledger.model import (
    Account,
    AccountFlags,
    AccountResult,
    Transfer,
    TransferResult,
)
from ledger.rules import (
    AccountState,
    PendingStatus,
    PendingView,
    PlainStep,
    Posting,
    apply,
    check,
    plain_step,
)

_MISSING = object()
_LINKED, _PENDING, _POST, _VOID = 1, 2, 4, 8
_POST_OR_VOID = _POST | _VOID


def chains(linked: Sequence[bool]) -> list[tuple[int, int, bool]]:
    """Split events into (start, end inclusive, open) chains; a lone event is a chain of one."""
    spans: list[tuple[int, int, bool]] = []
    start = 0
    for index, is_linked in enumerate(linked):
        if not is_linked:
            spans.append((start, index, False))
            start = index + 1
    if start < len(linked):
        spans.append((start, len(linked) - 1, True))
    return spans


@dataclass
class TransferState:
    """The slice of the ledger a batch can touch, with an undo log for linked chains."""

    accounts: dict[int, AccountState]
    existing: dict[int, Posting]
    pendings: dict[int, PendingView]
    now_ns: int
    accepted: list[Posting] = field(default_factory=list)
    _undo: list[Callable[[], object]] = field(default_factory=list)
    _in_chain: bool = False  # undo is logged only inside a linked chain

    def _set(self, table: dict[int, object], key: int, value: object) -> None:
        if self._in_chain:
            old = table.get(key, _MISSING)
            if old is _MISSING:
                self._undo.append(lambda: table.pop(key))
            else:
                self._undo.append(lambda: table.__setitem__(key, old))
        table[key] = value

    def decide(self, transfer: Transfer) -> TransferResult:
        debit_id, credit_id = transfer.debit_account_id, transfer.credit_account_id
        if transfer.flags == 0 and transfer.id not in self.existing:
            accounts = self.accounts
            step = plain_step(transfer, accounts.get(debit_id), accounts.get(credit_id))
            if step is not None:
                self._accept_plain(step)
                return TransferResult.ok
        pending = self.pendings.get(transfer.pending_id) if transfer.pending_id else None
        if pending is not None and int(transfer.flags) & _POST_OR_VOID:
            debit_id = debit_id or pending.posting.debit_account_id
            credit_id = credit_id or pending.posting.credit_account_id
        outcome = check(
            transfer,
            self.accounts.get(debit_id),
            self.accounts.get(credit_id),
            existing=self.existing.get(transfer.id),
            pending=pending,
            now_ns=self.now_ns,
        )
        if isinstance(outcome, TransferResult):
            return outcome
        self.accept(outcome)
        return TransferResult.ok

    def accept(self, posting: Posting) -> None:
        accounts = self.accounts
        debit = accounts[posting.debit_account_id]
        credit = accounts[posting.credit_account_id]
        debit_balances = apply(debit.balances, posting, debit_side=True)
        credit_balances = apply(credit.balances, posting, debit_side=False)
        debit = AccountState(debit.id, debit.currency, debit.flags, debit_balances)
        credit = AccountState(credit.id, credit.currency, credit.flags, credit_balances)
        self._set(accounts, debit.id, debit)  # type: ignore[arg-type]
        self._set(accounts, credit.id, credit)  # type: ignore[arg-type]
        self._set(self.existing, posting.id, posting)  # type: ignore[arg-type]
        if posting.flags & _PENDING:
            # It cannot expire within its own batch (timeouts are whole seconds).
            view = PendingView(posting, None, PendingStatus.PENDING)
            self._set(self.pendings, posting.id, view)  # type: ignore[arg-type]
        elif posting.pending_id is not None and posting.pending_id in self.pendings:
            old = self.pendings[posting.pending_id]
            status = PendingStatus.POSTED if posting.flags & _POST else PendingStatus.VOIDED
            new = old._replace(status=status)
            self._set(self.pendings, posting.pending_id, new)  # type: ignore[arg-type]
        self.accepted.append(posting)
        if self._in_chain:
            self._undo.append(self.accepted.pop)

    def _accept_plain(self, step: PlainStep) -> None:
        """``accept`` for a step from ``plain_step`` (single-phase: no pending view)."""
        posting, debit, credit = step
        if self._in_chain:
            self._set(self.accounts, debit.id, debit)  # type: ignore[arg-type]
            self._set(self.accounts, credit.id, credit)  # type: ignore[arg-type]
            self._set(self.existing, posting.id, posting)  # type: ignore[arg-type]
            self.accepted.append(posting)
            self._undo.append(self.accepted.pop)
            return
        self.accounts[debit.id] = debit
        self.accounts[credit.id] = credit
        self.existing[posting.id] = posting
        self.accepted.append(posting)

    def begin_chain(self) -> None:
        self._in_chain = True

    def end_chain(self, *, failed: bool) -> None:
        while failed and self._undo:
            self._undo.pop()()
        self._undo.clear()
        self._in_chain = False


def run_transfers(transfers: Sequence[Transfer], state: TransferState) -> list[TransferResult]:
    # ``flags == 0`` first (int comparison), then int(): IntFlag's own & costs a microsecond.
    linked = [t.flags != 0 and bool(int(t.flags) & _LINKED) for t in transfers]
    if not any(linked):  # no chains: each transfer on its own
        return [state.decide(t) for t in transfers]
    results: list[TransferResult] = [TransferResult.ok] * len(transfers)
    for start, end, is_open in chains(linked):
        if start == end and not is_open:
            results[start] = state.decide(transfers[start])
            continue
        state.begin_chain()
        failed_at = None
        for index in range(start, end + 1):
            result = state.decide(transfers[index])
            if result is not TransferResult.ok:
                failed_at, results[index] = index, result
                break
        if failed_at is None and is_open:
            failed_at, results[end] = end, TransferResult.linked_event_chain_open
        state.end_chain(failed=failed_at is not None)
        if failed_at is not None:
            for index in range(start, end + 1):
                if index != failed_at:
                    results[index] = TransferResult.linked_event_failed
    return results


def run_accounts(
    accounts: Sequence[Account],
    existing: dict[int, Account],
    code_owners: dict[str, int],
) -> tuple[list[AccountResult], list[Account]]:
    """Decide a batch of new accounts; returns the results and the accounts to insert."""
    results: list[AccountResult] = [AccountResult.ok] * len(accounts)
    created: list[Account] = []
    linked = [bool(a.flags & AccountFlags.LINKED) for a in accounts]
    for start, end, is_open in chains(linked):
        added: list[Account] = []
        failed_at = None
        for index in range(start, end + 1):
            account = accounts[index]
            result = check_account(account, existing.get(account.id), code_owners.get(account.code))
            results[index] = result
            if result is not AccountResult.ok:
                failed_at = index
                break
            added.append(account)
            existing[account.id] = account
            code_owners[account.code] = account.id
        if failed_at is None and is_open:
            failed_at, results[end] = end, AccountResult.linked_event_chain_open
        if failed_at is None:
            created.extend(added)
            continue
        for account in added:
            del existing[account.id]
            del code_owners[account.code]
        for index in range(start, end + 1):
            if index != failed_at:
                results[index] = AccountResult.linked_event_failed
    return results, created
