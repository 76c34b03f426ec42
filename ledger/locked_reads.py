"""What a batch of transfers reads under the chain-head lock, in as few round trips as the
backend allows.

A write transaction locks the head first, then reads the pending transfers the batch names, the
accounts it touches and any stored transfer with one of its ids. On PostgreSQL these statements
go out in ONE round trip (psycopg's pipeline mode) instead of one each: the server still runs
them one after another, and under READ COMMITTED each takes its snapshot when it starts, so the
reads start only once the lock is granted and see every transaction committed before (a single
statement that waited for the lock and also read would read from its snapshot taken before the
wait). SQLite runs in-process and has no round trips: the statements run one by one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any, NamedTuple

from ledger.model import Balances, LedgerError, TransferFlags
from ledger.rules import AccountState, PendingStatus, PendingView, Posting
from ledger.store import (
    HEAD_LOCK_SQL_POSTGRESQL,
    HEAD_MISSING,
    TRANSFER_COLUMNS,
    Db,
    Head,
    chunks,
    lock_head,
    posting_from_row,
)

_POST = int(TransferFlags.POST_PENDING_TRANSFER)
_ACCOUNT_COLUMNS = (
    "id, currency, flags, debits_pending, debits_posted, credits_pending, credits_posted"
)
_TRANSFERS = f"SELECT {', '.join(TRANSFER_COLUMNS)} FROM ledger_transfers"
_RESOLUTIONS = "SELECT id, pending_id, flags FROM ledger_transfers"


class LockedReads(NamedTuple):
    head: Head
    pendings: dict[int, PendingView]  # by id: the transfers the batch's pending_ids name
    accounts: dict[int, AccountState]  # by id: the accounts the batch names
    postings: dict[int, Posting]  # by id: stored transfers with the batch's ids


def lock_and_read(
    db: Db, *, transfer_ids: set[int], account_ids: set[int], pending_ids: set[int]
) -> LockedReads:
    """Lock the chain head, then read what a batch needs (ids already in range)."""
    if db.postgresql:
        return _pipelined(db, transfer_ids, account_ids, pending_ids)
    cache = db.cache
    if cache is None or cache.head is None:
        head, accounts = lock_head(db), load_account_states(db, account_ids)
    else:  # the connection's last commit left the head and these balances (sqlite_tx.py)
        head, known = cache.head, cache.accounts
        accounts = {i: known[i] for i in account_ids if i in known}
        if len(accounts) < len(account_ids):
            accounts.update(load_account_states(db, account_ids.difference(accounts)))
    return LockedReads(
        head, load_pendings(db, pending_ids), accounts, load_postings(db, transfer_ids)
    )


def _pipelined(
    db: Db, transfer_ids: set[int], account_ids: set[int], pending_ids: set[int]
) -> LockedReads:
    any_id = " WHERE id = ANY(%s::bigint[])"
    statements: list[tuple[str, Sequence[Any] | None]] = [
        (HEAD_LOCK_SQL_POSTGRESQL, None),
        (f"SELECT {_ACCOUNT_COLUMNS} FROM ledger_accounts{any_id}", [sorted(account_ids)]),
        (_TRANSFERS + any_id, [sorted(transfer_ids)]),
    ]
    if pending_ids:
        wanted = sorted(pending_ids)
        statements.append((_TRANSFERS + any_id, [wanted]))
        statements.append((_RESOLUTIONS + " WHERE pending_id = ANY(%s::bigint[])", [wanted]))
    dbapi = db.dbapi
    with dbapi.pipeline():
        cursors = [dbapi.execute(sql, params) for sql, params in statements]
    results = [cursor.fetchall() for cursor in cursors]
    if not results[0]:
        raise LedgerError(HEAD_MISSING)
    pendings = _pending_views(results[3], results[4]) if pending_ids else {}
    return LockedReads(
        Head(*results[0][0]), pendings, _account_states(results[1]), _postings(results[2])
    )


def load_account_states(db: Db, ids: Iterable[int]) -> dict[int, AccountState]:
    found: dict[int, AccountState] = {}
    for chunk in chunks(ids):
        marks = ", ".join([db.mark] * len(chunk))
        sql = f"SELECT {_ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id IN ({marks})"
        found.update(_account_states(db.dbapi.execute(sql, chunk).fetchall()))
    return found


def load_postings(db: Db, ids: Iterable[int]) -> dict[int, Posting]:
    """Stored transfers with these ids (the idempotency lookup: usually finds none).

    Driver-level SQL: SQLAlchemy's expanding IN cost more per id than the lookup itself."""
    found: dict[int, Posting] = {}
    for chunk in chunks(ids):
        marks = ", ".join([db.mark] * len(chunk))
        sql = f"{_TRANSFERS} WHERE id IN ({marks})"
        found.update(_postings(db.dbapi.execute(sql, chunk).fetchall()))
    return found


def load_pendings(db: Db, ids: Iterable[int]) -> dict[int, PendingView]:
    """The transfers ``ids`` name, with their status derived from post/void rows."""
    found: dict[int, PendingView] = {}
    dbapi = db.dbapi
    for chunk in chunks(ids):
        marks = ", ".join([db.mark] * len(chunk))
        rows = dbapi.execute(f"{_TRANSFERS} WHERE id IN ({marks})", chunk).fetchall()
        resolutions = dbapi.execute(f"{_RESOLUTIONS} WHERE pending_id IN ({marks})", chunk)
        found.update(_pending_views(rows, resolutions.fetchall()))
    return found


def due_pendings(db: Db, after_ns: int, through_ns: int) -> list[Posting]:
    """Unresolved pending transfers whose timeout falls in (after_ns, through_ns]."""
    m = db.mark
    sql = (
        f"{_TRANSFERS} AS t WHERE expires_at_ns > {m} AND expires_at_ns <= {m} AND NOT EXISTS "
        "(SELECT 1 FROM ledger_transfers AS r WHERE r.pending_id = t.id) "
        "ORDER BY expires_at_ns, id"
    )
    rows = db.dbapi.execute(sql, (after_ns, through_ns)).fetchall()
    return [posting_from_row(_transfer_row(values)) for values in rows]


def next_expiry(db: Db, after_ns: int) -> int | None:
    """The earliest pending timeout after ``after_ns`` (resolved ones included: a spare sweep
    finds nothing and moves on)."""
    sql = f"SELECT min(expires_at_ns) FROM ledger_transfers WHERE expires_at_ns > {db.mark}"
    (value,) = db.dbapi.execute(sql, (after_ns,)).fetchone()
    return int(value) if value is not None else None


def _account_states(rows: Iterable[Sequence[Any]]) -> dict[int, AccountState]:
    found: dict[int, AccountState] = {}
    for a_id, currency, flags, *balances in rows:
        found[a_id] = AccountState(a_id, currency, flags, Balances(*balances))
    return found


def _transfer_row(values: Sequence[Any]) -> SimpleNamespace:
    row = SimpleNamespace(**dict(zip(TRANSFER_COLUMNS, values, strict=True)))
    if isinstance(row.metadata, str):  # SQLite returns the JSON text; psycopg decodes it
        row.metadata = json.loads(row.metadata)
    return row


def _postings(rows: Iterable[Sequence[Any]]) -> dict[int, Posting]:
    found: dict[int, Posting] = {}
    for values in rows:
        posting = posting_from_row(_transfer_row(values))
        found[posting.id] = posting
    return found


def _pending_views(
    rows: Iterable[Sequence[Any]], resolutions: Iterable[Sequence[Any]]
) -> dict[int, PendingView]:
    resolved = {pending_id: (r_id, flags) for r_id, pending_id, flags in resolutions}
    found: dict[int, PendingView] = {}
    for values in rows:
        row = _transfer_row(values)
        status = PendingStatus.PENDING
        if row.id in resolved:
            resolution_id, flags = resolved[row.id]
            status = (
                PendingStatus.POSTED
                if flags & _POST
                else (PendingStatus.EXPIRED if resolution_id < 0 else PendingStatus.VOIDED)
            )
        found[row.id] = PendingView(posting_from_row(row), row.expires_at_ns, status)
    return found
