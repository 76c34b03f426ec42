"""The writers' queries: the chain head, what a batch reads under the head lock, the writes
(driver-level executemany / one statement, no ORM objects) and the expiry sweep. The read side's
queries (history, balances as of a time, verify's aggregates) are in ``read_queries``.

All functions take an open ``Connection`` and never commit; the service owns transactions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection, select

from ledger.model import (
    Account,
    AccountFlags,
    LedgerError,
    TransferFlags,
)
from ledger.rules import Posting
from ledger.tables import HEAD_ID, accounts

if TYPE_CHECKING:
    from ledger.sqlite_tx import ChainCache

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PENDING = int(TransferFlags.PENDING)
_POST = int(TransferFlags.POST_PENDING_TRANSFER)
_VOID = int(TransferFlags.VOID_PENDING_TRANSFER)
# Ids are bound in chunks so a batch of 8000 stays under every driver's parameter limit.
IN_CHUNK = 900
ID_LIMIT = 2**63  # ids (and expiry ids, negated) fit a signed 64-bit column


TRANSFER_COLUMNS = (
    "id", "debit_account_id", "credit_account_id", "amount_dong", "requested_amount_dong",
    "reference", "memo", "flags", "pending_id", "timeout_s", "expires_at_ns", "metadata",
    "timestamp_ns", "prev_hash", "hash",
)  # fmt: skip
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def ns_to_datetime(ns: int) -> datetime:
    return EPOCH + timedelta(microseconds=ns // 1000)


def datetime_to_ns(at: datetime) -> int:
    if at.tzinfo is None:
        raise LedgerError(f"time {at.isoformat()} must be timezone-aware")
    return (at - EPOCH) // timedelta(microseconds=1) * 1000


class Head(NamedTuple):
    last_timestamp_ns: int
    last_hash: str
    transfer_count: int
    expired_through_ns: int
    next_expiry_ns: int | None


_HEAD_COLUMNS = "last_timestamp_ns, last_hash, transfer_count, expired_through_ns, next_expiry_ns"
_HEAD_SELECT = f"SELECT {_HEAD_COLUMNS} FROM ledger_head WHERE id = {HEAD_ID}"
HEAD_LOCK_SQL_POSTGRESQL = _HEAD_SELECT + " FOR UPDATE"
HEAD_MISSING = "ledger_head row is missing: run `marketpay db upgrade`"


def mark_for(conn: Connection) -> str:
    """The driver's positional parameter marker (``?`` for sqlite3, ``%s`` for psycopg)."""
    return _PLACEHOLDER[conn.dialect.paramstyle]


class Db(NamedTuple):
    """A write transaction at driver level: the DBAPI connection and what its SQL needs.

    The writers' statements (the head, the reads under its lock, the writes) run on the DBAPI
    connection, not through SQLAlchemy: its per-statement work (~30 µs each: result metadata,
    events) cost more than SQLite's own work for these one-row statements, and was most of a
    single-transfer call's overhead."""

    dbapi: Any
    postgresql: bool
    mark: str  # the positional parameter marker: ``?`` for sqlite3, ``%s`` for psycopg
    cache: ChainCache | None = None  # in the ledger's own SQLite transactions (sqlite_tx.py)


def db_of(conn: Connection) -> Db:
    """``conn``'s transaction at driver level (begun first if it was not, as autobegin would:
    BEGIN IMMEDIATE on SQLite)."""
    if not conn.in_transaction():
        conn.begin()
    dbapi = conn.connection.driver_connection
    assert dbapi is not None, "an open connection has its driver connection"
    postgresql = conn.dialect.name == "postgresql"
    return Db(dbapi, postgresql, mark_for(conn))


def lock_head(db: Db) -> Head:
    """Read the chain head, locking it on PostgreSQL: the writers' one serialization point."""
    row = db.dbapi.execute(HEAD_LOCK_SQL_POSTGRESQL if db.postgresql else _HEAD_SELECT).fetchone()
    if row is None:
        raise LedgerError(HEAD_MISSING)
    return Head(*row)


def _head_update_sql(mark: str) -> str:
    assignments = ", ".join(f"{column} = {mark}" for column in _HEAD_COLUMNS.split(", "))
    return f"UPDATE ledger_head SET {assignments} WHERE id = {HEAD_ID}"


_HEAD_UPDATE = {"?": _head_update_sql("?"), "%s": _head_update_sql("%s")}


def save_head(db: Db, state: Head) -> None:
    db.dbapi.execute(_HEAD_UPDATE[db.mark], state)


def in_range(ids: Iterable[int | None]) -> set[int]:
    """The ids a client may have chosen (1..2**63-1); others cannot be stored, so skip them."""
    return {i for i in ids if i is not None and 0 < i < ID_LIMIT}


def chunks(values: Iterable[int]) -> Iterator[list[int]]:
    items = sorted(set(values))
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def posting_from_row(row: Any) -> Posting:
    """A stored transfer row (attributes named as its columns) as the rules' ``Posting``."""
    return Posting(
        id=row.id,
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount_dong=row.amount_dong,
        flags=row.flags,
        pending_id=row.pending_id,
        pending_amount_dong=0,
        timeout_s=row.timeout_s,
        reference=row.reference,
        memo=row.memo,
        metadata=row.metadata,
        requested_amount_dong=row.requested_amount_dong,
    )


def write_transfers(
    db: Db,
    rows: list[tuple[Any, ...]],
    deltas: Mapping[int, tuple[int, int, int, int]],
    state: Head,
) -> None:
    """Append transfer rows (tuples in TRANSFER_COLUMNS order; metadata as JSON text), add the
    balance deltas and save the head.

    The hot path, at driver level (SQLAlchemy's per-row parameter processing cost more than
    the insert itself for batches of thousands). sqlite3 runs in-process, so executemany it
    is. On PostgreSQL every statement is a round trip under the head lock, so the whole write
    is ONE statement of fixed text whatever the number of rows: data-modifying CTEs insert the
    rows and update the balances from arrays (one array parameter per column, ``unnest``),
    then the head is updated (the triggers fire as for separate statements). Fixed text means
    psycopg prepares it once and the server plans it once; one parameter per column instead of
    one per value keeps the adaptation in psycopg's C code and any size under the protocol's
    parameter limit."""
    dbapi = db.dbapi
    if not db.postgresql:
        if rows:
            dbapi.executemany(_SQLITE_INSERT, rows)
        if deltas:
            dbapi.executemany(_SQLITE_DELTA, _delta_params(deltas))
        dbapi.execute(_HEAD_UPDATE["?"], state)
        return
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else None
    if columns is None:
        columns = [[] for _ in TRANSFER_COLUMNS]
    delta_columns = [list(column) for column in zip(*_delta_params(deltas), strict=True)]
    if not delta_columns:
        delta_columns = [[] for _ in range(5)]
    dbapi.execute(_PG_WRITE, (*columns, *delta_columns, *state))


_SQLITE_DELTA = (
    "UPDATE ledger_accounts SET debits_pending = debits_pending + ?, "
    "debits_posted = debits_posted + ?, credits_pending = credits_pending + ?, "
    "credits_posted = credits_posted + ? WHERE id = ?"
)
# The PostgreSQL type of each TRANSFER_COLUMNS entry (metadata travels as text, cast to json).
_PG_TYPES = (
    "bigint", "bigint", "bigint", "bigint", "bigint", "text", "text", "integer", "bigint",
    "bigint", "bigint", "text", "bigint", "text", "text",
)  # fmt: skip
_PG_SELECTED = ", ".join(f"r.{c}::json" if c == "metadata" else f"r.{c}" for c in TRANSFER_COLUMNS)
_PG_WRITE = (
    f"WITH t AS (INSERT INTO ledger_transfers ({', '.join(TRANSFER_COLUMNS)}) "
    f"SELECT {_PG_SELECTED} FROM unnest({', '.join(f'%s::{t}[]' for t in _PG_TYPES)}) "
    f"AS r({', '.join(TRANSFER_COLUMNS)})), "
    "a AS (UPDATE ledger_accounts AS la SET debits_pending = la.debits_pending + d.dp, "
    "debits_posted = la.debits_posted + d.dpo, credits_pending = la.credits_pending + d.cp, "
    "credits_posted = la.credits_posted + d.cpo "
    f"FROM unnest({', '.join(['%s::bigint[]'] * 5)}) AS d(dp, dpo, cp, cpo, id) "
    "WHERE la.id = d.id) " + _head_update_sql("%s")
)


def _delta_params(deltas: Mapping[int, tuple[int, int, int, int]]) -> list[tuple[int, ...]]:
    # In account id order, so row locks are always taken in one order.
    return [(*d, key) for key, d in sorted(deltas.items())]


def _insert_sql(mark: str) -> str:
    values = ", ".join([mark] * len(TRANSFER_COLUMNS))
    return f"INSERT INTO ledger_transfers ({', '.join(TRANSFER_COLUMNS)}) VALUES ({values})"


_SQLITE_INSERT = _insert_sql("?")


def load_accounts(conn: Connection, ids: Iterable[int]) -> dict[int, Account]:
    found: dict[int, Account] = {}
    for chunk in chunks(ids):
        for row in conn.execute(select(accounts).where(accounts.c.id.in_(chunk))):
            found[row.id] = Account(
                row.id, row.code, row.currency, AccountFlags(row.flags), row.holder, row.metadata
            )
    return found


def code_owners(conn: Connection, codes: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(codes))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        query = select(accounts.c.code, accounts.c.id).where(accounts.c.code.in_(chunk))
        found.update({row.code: row.id for row in conn.execute(query)})
    return found


def insert_accounts(conn: Connection, new: list[Account], timestamps: list[int]) -> None:
    rows = [
        {
            "id": a.id,
            "code": a.code,
            "currency": a.currency,
            "flags": int(a.flags) & ~int(AccountFlags.LINKED),
            "holder": a.holder,
            "metadata": dict(a.metadata),
            "debits_pending": 0,
            "debits_posted": 0,
            "credits_pending": 0,
            "credits_posted": 0,
            "timestamp_ns": ts,
        }
        for a, ts in zip(new, timestamps, strict=True)
    ]
    if rows:
        conn.execute(accounts.insert(), rows)
