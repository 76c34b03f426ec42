"""The ledger service: lock the chain head, check the batch, write it, in one transaction.

Writers serialize on the one ``ledger_head`` row (``SELECT ... FOR UPDATE`` on PostgreSQL;
SQLite's ``BEGIN IMMEDIATE`` already admits one writer). Holding that lock makes the hash chain
and the ledger timestamps a single sequence, and makes account row locks unnecessary: balance
updates are atomic ``SET x = x + :delta`` statements behind it. See docs/LEDGER.md.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from ledger import locked_reads, sqlite_tx, store
from ledger.batch import TransferState, run_accounts, run_transfers
from ledger.group import GroupCommit
from ledger.hashchain import HASH_HEX_CHARS, link, metadata_json
from ledger.model import (
    MAX_BATCH_ACCOUNTS,
    MAX_BATCH_TRANSFERS,
    Account,
    AccountResult,
    LedgerError,
    Transfer,
    TransferFlags,
    TransferResult,
)
from ledger.reads import LedgerReads
from ledger.rules import AccountState, Posting, expires_at_ns

T = TypeVar("T")
RETRY_ATTEMPTS_MAX = 8
RETRY_BACKOFF_S = 0.005  # doubled after each busy/deadlock attempt
_RETRYABLE = ("database is locked", "deadlock detected", "could not serialize", "busy")


def _check_json(metadata: object, what: str) -> None:
    if not isinstance(metadata, Mapping):
        raise LedgerError(f"{what}: metadata must be a mapping")
    if not metadata:
        return
    try:
        json.dumps(dict(metadata), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"{what}: metadata is not JSON: {exc}") from None


_INT_FIELDS = ("id", "debit_account_id", "credit_account_id", "amount_dong", "timeout_s")


def _check_transfer_types(t: object, index: int) -> None:
    # The common case first, cheaply (exact types: bool is an int subclass and is refused).
    if (
        type(t) is Transfer
        and type(t.id) is int
        and type(t.debit_account_id) is int
        and type(t.credit_account_id) is int
        and type(t.amount_dong) is int
        and type(t.timeout_s) is int
        and (t.pending_id is None or type(t.pending_id) is int)
        and type(t.reference) is str
        and type(t.memo) is str
        and not t.metadata
    ):
        return
    if not isinstance(t, Transfer):
        raise LedgerError(f"transfers[{index}] is {type(t).__name__}, not Transfer")
    for name in _INT_FIELDS:
        value = getattr(t, name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise LedgerError(f"transfers[{index}].{name} must be int, got {value!r}")
    if t.pending_id is not None and (
        not isinstance(t.pending_id, int) or isinstance(t.pending_id, bool)
    ):
        raise LedgerError(f"transfers[{index}].pending_id must be int or None")
    if not isinstance(t.reference, str) or not isinstance(t.memo, str):
        raise LedgerError(f"transfers[{index}]: reference and memo must be str")
    _check_json(t.metadata, f"transfers[{index}]")


def _check_account_types(a: object, index: int) -> None:
    if not isinstance(a, Account):
        raise LedgerError(f"accounts[{index}] is {type(a).__name__}, not Account")
    if not isinstance(a.id, int) or isinstance(a.id, bool):
        raise LedgerError(f"accounts[{index}].id must be int, got {a.id!r}")
    for name in ("code", "currency", "holder"):
        if not isinstance(getattr(a, name), str):
            raise LedgerError(f"accounts[{index}].{name} must be str")
    _check_json(a.metadata, f"accounts[{index}]")


class Ledger(LedgerReads):
    """The book of record. Outcomes are result codes; only misuse raises ``LedgerError``."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self._clock = clock
        # Concurrent calls without a caller's connection share transactions (see group.py).
        self._group = GroupCommit(self._create_transfers, self._write_own)
        # Our own SQLite transactions run at driver level (sqlite_tx.py) on a real engine; an
        # object standing in for one (the simulation's day-long transaction) keeps its begin().
        self._sqlite_driver_level = isinstance(engine, Engine) and engine.dialect.name == "sqlite"

    # -- transactions ---------------------------------------------------------------------

    def _write(self, work: Callable[[Connection], T], connection: Connection | None) -> T:
        """Run ``work`` in the caller's transaction, or in our own with retries on busy."""
        if connection is not None:
            return work(connection)
        for attempt in range(RETRY_ATTEMPTS_MAX):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except OperationalError as exc:
                retryable = any(s in str(exc.orig).lower() for s in _RETRYABLE)
                if not retryable or attempt == RETRY_ATTEMPTS_MAX - 1:
                    raise
                time.sleep(RETRY_BACKOFF_S * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_own(self, work: Callable[[store.Db], T]) -> T:
        """Run ``work`` in our own transaction at driver level (on SQLite without SQLAlchemy's
        transaction objects: sqlite_tx.py), with retries on busy."""
        if self._sqlite_driver_level:
            for attempt in range(RETRY_ATTEMPTS_MAX):
                try:
                    return sqlite_tx.run(self.engine, work)
                except sqlite3.OperationalError as exc:
                    retryable = any(s in str(exc).lower() for s in _RETRYABLE)
                    if not retryable or attempt == RETRY_ATTEMPTS_MAX - 1:
                        raise
                    time.sleep(RETRY_BACKOFF_S * 2**attempt)
        return self._write(lambda conn: work(store.db_of(conn)), None)

    def _now_ns(self, after_ns: int) -> int:
        now = self._clock()
        return max(store.datetime_to_ns(now), after_ns + 1)

    # -- accounts -------------------------------------------------------------------------

    def create_accounts(
        self, accounts: Sequence[Account], *, connection: Connection | None = None
    ) -> list[AccountResult]:
        if len(accounts) > MAX_BATCH_ACCOUNTS:
            raise LedgerError(
                f"{len(accounts)} accounts in one batch; at most {MAX_BATCH_ACCOUNTS}"
            )
        for index, account in enumerate(accounts):
            _check_account_types(account, index)
        if not accounts:
            return []
        return self._write(lambda conn: self._create_accounts(conn, accounts), connection)

    def _create_accounts(self, conn: Connection, batch: Sequence[Account]) -> list[AccountResult]:
        db = store.db_of(conn)
        head = store.lock_head(db)
        existing = store.load_accounts(conn, store.in_range(a.id for a in batch))
        owners = store.code_owners(conn, (a.code for a in batch))
        results, created = run_accounts(batch, existing, owners)
        start = self._now_ns(head.last_timestamp_ns)
        stamps = [start + i for i in range(len(created))]
        store.insert_accounts(conn, created, stamps)
        if created:
            store.save_head(db, head._replace(last_timestamp_ns=stamps[-1]))
        return results

    # -- transfers ------------------------------------------------------------------------

    def create_transfers(
        self, transfers: Sequence[Transfer], *, connection: Connection | None = None
    ) -> list[TransferResult]:
        """Apply a batch in one transaction; one result per transfer, in order."""
        if len(transfers) > MAX_BATCH_TRANSFERS:
            raise LedgerError(
                f"{len(transfers)} transfers in one batch; at most {MAX_BATCH_TRANSFERS}"
            )
        for index, transfer in enumerate(transfers):
            _check_transfer_types(transfer, index)
        if not transfers:
            return []
        if connection is not None:
            (results,) = self._create_transfers(store.db_of(connection), [transfers])
            return results
        return self._group.submit(transfers)

    def _create_transfers(
        self, db: store.Db, batches: Sequence[Sequence[Transfer]]
    ) -> list[list[TransferResult]]:
        """Decide ``batches`` one after the other in one pass (one set of statements).

        Each batch is run on its own, seeing the ones before it; a chain never spans two."""
        every = [t for batch in batches for t in batch]
        pending_ids = store.in_range(t.pending_id for t in every)
        account_ids = store.in_range(
            i for t in every for i in (t.debit_account_id, t.credit_account_id)
        )
        reads = locked_reads.lock_and_read(
            db,
            transfer_ids=store.in_range(t.id for t in every),
            account_ids=account_ids,
            pending_ids=pending_ids,
        )
        now_ns = self._now_ns(reads.head.last_timestamp_ns)
        head = self._expire(db, reads.head, now_ns)
        pendings, before, existing = reads.pendings, reads.accounts, reads.postings
        if head.transfer_count != reads.head.transfer_count:
            # The sweep wrote expiry rows and released holds: read again what it changed.
            pendings = locked_reads.load_pendings(db, pending_ids)
            before = locked_reads.load_account_states(db, account_ids)
        missing = {
            i
            for view in pendings.values()
            for i in (view.posting.debit_account_id, view.posting.credit_account_id)
        }.difference(before)
        if missing:  # a post/void naming account 0 touches its pending transfer's accounts
            before.update(locked_reads.load_account_states(db, missing))
        state = TransferState(dict(before), existing, pendings, now_ns)
        results = [run_transfers(batch, state) for batch in batches]
        if state.accepted:
            head = self._commit(db, head, state.accepted, before, state.accounts, now_ns)
        else:
            store.save_head(db, head)  # the expiry watermark moved
        if db.cache is not None and head.transfer_count == reads.head.transfer_count + len(
            state.accepted
        ):  # no expiry was written: the batch's accounts are all that changed
            db.cache.stage(head, state.accounts)
        return results

    def _commit(
        self,
        db: store.Db,
        head: store.Head,
        accepted: list[Posting],
        before: dict[int, AccountState],
        after: dict[int, AccountState],
        now_ns: int,
    ) -> store.Head:
        """Write the accepted postings, their balance deltas and the new head; return it."""
        start = max(now_ns, head.last_timestamp_ns + 1)
        rows, last_hash = _chain_rows(accepted, start, head.last_hash)
        deltas = {}
        for account_id, new in after.items():
            old = before[account_id].balances
            b = new.balances
            delta = (
                b.debits_pending - old.debits_pending,
                b.debits_posted - old.debits_posted,
                b.credits_pending - old.credits_pending,
                b.credits_posted - old.credits_posted,
            )
            if any(delta):
                deltas[account_id] = delta
        expiries = [row[10] for row in rows if row[10] is not None]
        if head.next_expiry_ns is not None:
            expiries.append(head.next_expiry_ns)
        head = store.Head(
            last_timestamp_ns=start + len(accepted) - 1,
            last_hash=last_hash,
            transfer_count=head.transfer_count + len(accepted),
            expired_through_ns=head.expired_through_ns,
            next_expiry_ns=min(expiries) if expiries else None,
        )
        store.write_transfers(db, rows, deltas, head)
        return head

    # -- pending expiry -------------------------------------------------------------------

    def expire_pending(self, *, connection: Connection | None = None) -> int:
        """Void every pending transfer whose timeout has passed; returns how many."""

        def work(conn: Connection) -> int:
            db = store.db_of(conn)
            head = store.lock_head(db)
            now_ns = self._now_ns(head.last_timestamp_ns)
            after = self._expire(db, head, now_ns)
            store.save_head(db, after)
            return after.transfer_count - head.transfer_count

        return self._write(work, connection)

    def _expire(self, db: store.Db, head: store.Head, now_ns: int) -> store.Head:
        """Record an expiry (a void with id ``-pending_id``) for each pending transfer due.

        The caller saves the returned head (with the new expiry watermark)."""
        if head.next_expiry_ns is None or now_ns < head.next_expiry_ns:
            return head._replace(expired_through_ns=now_ns)
        due = locked_reads.due_pendings(db, head.expired_through_ns, now_ns)
        if due:
            voids = [_expiry(p) for p in due]
            ids = {i for p in due for i in (p.debit_account_id, p.credit_account_id)}
            before = locked_reads.load_account_states(db, ids)
            state = TransferState(dict(before), {}, {}, now_ns)
            for void in voids:
                state.accept(void)
            head = self._commit(db, head, state.accepted, before, state.accounts, now_ns)
        upcoming = locked_reads.next_expiry(db, now_ns)
        return head._replace(expired_through_ns=now_ns, next_expiry_ns=upcoming)


def _expiry(pending: Posting) -> Posting:
    return pending._replace(
        id=-pending.id,
        flags=int(TransferFlags.VOID_PENDING_TRANSFER),
        pending_id=pending.id,
        pending_amount_dong=pending.amount_dong,
        timeout_s=0,
        reference=pending.reference,
        memo="expired",
        metadata={},
        requested_amount_dong=pending.amount_dong,
    )


def _chain_rows(
    accepted: list[Posting], start_ns: int, prev_hash: str
) -> tuple[list[tuple[Any, ...]], str]:
    """Rows for ``store.write_transfers``, each hashed onto the one before it."""
    assert len(prev_hash) == HASH_HEX_CHARS, prev_hash
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    ts = start_ns
    # Unpacked in Posting's field order: the loop runs once per transfer written.
    for (
        t_id, debit_id, credit_id, amount, flags, pending_id, _released, timeout_s, reference,
        memo, meta, requested,
    ) in accepted:  # fmt: skip
        if meta:
            meta_json = metadata_json(meta)
            stored_metadata = json.dumps(dict(meta), ensure_ascii=False)
        else:
            meta_json = stored_metadata = "{}"
        digest = link(
            prev_hash, t_id, debit_id, credit_id, amount, pending_id or 0, timeout_s, flags,
            reference, memo, meta_json, ts,
        )  # fmt: skip
        expires = expires_at_ns(flags, timeout_s, ts) if timeout_s else None
        append(
            (
                t_id, debit_id, credit_id, amount, requested, reference, memo, flags, pending_id,
                timeout_s, expires, stored_metadata, ts, prev_hash, digest,
            )
        )  # fmt: skip
        prev_hash = digest
        ts += 1
    return rows, prev_hash
