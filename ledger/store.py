"""Every query the ledger runs (SQLAlchemy Core: executemany inserts, no ORM objects).

All functions take an open ``Connection`` and never commit; the service owns transactions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select
from sqlalchemy.sql import ColumnElement

from ledger.model import (
    Account,
    AccountBalance,
    AccountFlags,
    Balances,
    LedgerError,
    StoredTransfer,
    TransferFlags,
)
from ledger.rules import AccountState, PendingStatus, PendingView, Posting
from ledger.tables import HEAD_ID, accounts, head, transfers

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PENDING = int(TransferFlags.PENDING)
_POST = int(TransferFlags.POST_PENDING_TRANSFER)
_VOID = int(TransferFlags.VOID_PENDING_TRANSFER)
# Ids are bound in chunks so a batch of 8000 stays under every driver's parameter limit.
IN_CHUNK = 900
# Rows in one multi-row statement on PostgreSQL: 15 parameters a row stays under its 65,535.
PG_ROWS_PER_STATEMENT = 1000
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


@dataclass(frozen=True, slots=True)
class Head:
    last_timestamp_ns: int
    last_hash: str
    transfer_count: int
    expired_through_ns: int
    next_expiry_ns: int | None


_HEAD_COLUMNS = "last_timestamp_ns, last_hash, transfer_count, expired_through_ns, next_expiry_ns"


def _mark(conn: Connection) -> str:
    return _PLACEHOLDER[conn.dialect.paramstyle]


def lock_head(conn: Connection) -> Head:
    """Read the chain head, locking it on PostgreSQL: the writers' one serialization point.

    This and the other hot-path statements below (save_head, load_account_states,
    write_transfers) are driver-level SQL: each runs once per batch, and for single-transfer
    calls SQLAlchemy's per-statement work was a visible part of the call."""
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    sql = f"SELECT {_HEAD_COLUMNS} FROM ledger_head WHERE id = {HEAD_ID}{lock}"
    row = conn.exec_driver_sql(sql).first()
    if row is None:
        raise LedgerError("ledger_head row is missing: run `marketpay db upgrade`")
    return Head(*row)


def read_head(conn: Connection) -> Head:
    row = conn.execute(select(head).where(head.c.id == HEAD_ID)).first()
    if row is None:
        raise LedgerError("ledger_head row is missing: run `marketpay db upgrade`")
    return Head(
        row.last_timestamp_ns,
        row.last_hash,
        row.transfer_count,
        row.expired_through_ns,
        row.next_expiry_ns,
    )


def _head_update_sql(mark: str) -> str:
    assignments = ", ".join(f"{column} = {mark}" for column in _HEAD_COLUMNS.split(", "))
    return f"UPDATE ledger_head SET {assignments} WHERE id = {HEAD_ID}"


def _head_params(state: Head) -> tuple[Any, ...]:
    return (
        state.last_timestamp_ns,
        state.last_hash,
        state.transfer_count,
        state.expired_through_ns,
        state.next_expiry_ns,
    )


def save_head(conn: Connection, state: Head) -> None:
    conn.exec_driver_sql(_head_update_sql(_mark(conn)), _head_params(state))


def in_range(ids: Iterable[int | None]) -> set[int]:
    """The ids a client may have chosen (1..2**63-1); others cannot be stored, so skip them."""
    return {i for i in ids if i is not None and 0 < i < ID_LIMIT}


def chunks(values: Iterable[int]) -> Iterator[list[int]]:
    items = sorted(set(values))
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def _balances(row: Any) -> Balances:
    return Balances(row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted)


def load_account_states(conn: Connection, ids: Iterable[int]) -> dict[int, AccountState]:
    mark = _mark(conn)
    found: dict[int, AccountState] = {}
    for chunk in chunks(ids):
        marks = ", ".join([mark] * len(chunk))
        sql = (
            "SELECT id, currency, flags, debits_pending, debits_posted, credits_pending, "
            f"credits_posted FROM ledger_accounts WHERE id IN ({marks})"
        )
        for a_id, currency, flags, *balances in conn.exec_driver_sql(sql, tuple(chunk)):
            found[a_id] = AccountState(a_id, currency, flags, Balances(*balances))
    return found


def _posting(row: Any) -> Posting:
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


def load_postings(conn: Connection, ids: Iterable[int]) -> dict[int, Posting]:
    """Stored transfers with these ids (the idempotency lookup: usually finds none).

    Driver-level SQL, like write_transfers: SQLAlchemy's expanding IN cost more per id than
    the lookup itself."""
    found: dict[int, Posting] = {}
    mark = _mark(conn)
    columns = ", ".join(TRANSFER_COLUMNS)
    for chunk in chunks(ids):
        marks = ", ".join([mark] * len(chunk))
        sql = f"SELECT {columns} FROM ledger_transfers WHERE id IN ({marks})"
        for values in conn.exec_driver_sql(sql, tuple(chunk)):
            row = dict(zip(TRANSFER_COLUMNS, values, strict=True))
            if isinstance(row["metadata"], str):
                row["metadata"] = json.loads(row["metadata"])
            found[row["id"]] = _posting(SimpleNamespace(**row))
    return found


def load_pendings(conn: Connection, ids: Iterable[int]) -> dict[int, PendingView]:
    """The transfers ``ids`` name, with their status derived from post/void rows."""
    found: dict[int, PendingView] = {}
    for chunk in chunks(ids):
        rows = conn.execute(select(transfers).where(transfers.c.id.in_(chunk))).all()
        resolved = {
            row.pending_id: (row.id, row.flags)
            for row in conn.execute(
                select(transfers.c.id, transfers.c.pending_id, transfers.c.flags).where(
                    transfers.c.pending_id.in_(chunk)
                )
            )
        }
        for row in rows:
            status = PendingStatus.PENDING
            if row.id in resolved:
                resolution_id, flags = resolved[row.id]
                status = (
                    PendingStatus.POSTED
                    if flags & _POST
                    else (PendingStatus.EXPIRED if resolution_id < 0 else PendingStatus.VOIDED)
                )
            found[row.id] = PendingView(_posting(row), row.expires_at_ns, status)
    return found


def due_pendings(conn: Connection, after_ns: int, through_ns: int) -> list[Posting]:
    """Unresolved pending transfers whose timeout falls in (after_ns, through_ns]."""
    resolution = transfers.alias("resolution")
    query = (
        select(transfers)
        .where(
            transfers.c.expires_at_ns > after_ns,
            transfers.c.expires_at_ns <= through_ns,
            ~exists().where(resolution.c.pending_id == transfers.c.id),
        )
        .order_by(transfers.c.expires_at_ns, transfers.c.id)
    )
    return [_posting(row) for row in conn.execute(query)]


def next_expiry(conn: Connection, after_ns: int) -> int | None:
    """The earliest pending timeout after ``after_ns`` (resolved ones included: a spare sweep
    finds nothing and moves on)."""
    query = select(func.min(transfers.c.expires_at_ns)).where(transfers.c.expires_at_ns > after_ns)
    value = conn.execute(query).scalar_one()
    return int(value) if value is not None else None


def write_transfers(
    conn: Connection,
    rows: list[tuple[Any, ...]],
    deltas: Mapping[int, tuple[int, int, int, int]],
    state: Head,
) -> None:
    """Append transfer rows (tuples in TRANSFER_COLUMNS order; metadata as JSON text), add the
    balance deltas and save the head.

    The hot path, at driver level (SQLAlchemy's per-row parameter processing cost more than
    the insert itself for batches of thousands). sqlite3 runs in-process, so executemany it
    is. On PostgreSQL every statement is a round trip under the head lock, so a group of up to
    PG_ROWS_PER_STATEMENT rows is ONE statement: data-modifying CTEs for the insert and the
    balance update, then the head update (the triggers fire as for separate statements)."""
    m = _mark(conn)
    if conn.dialect.name != "postgresql":
        if rows:
            conn.exec_driver_sql(_insert_sql(m, 1), rows)
        if deltas:
            conn.exec_driver_sql(_SQLITE_DELTA.replace("?", m), _delta_params(deltas))
        save_head(conn, state)
        return
    params = _delta_params(deltas)
    if len(rows) > PG_ROWS_PER_STATEMENT or len(params) > PG_ROWS_PER_STATEMENT:
        for start in range(0, len(rows), PG_ROWS_PER_STATEMENT):
            chunk = rows[start : start + PG_ROWS_PER_STATEMENT]
            conn.exec_driver_sql(_insert_sql(m, len(chunk)), _flat(chunk))
        for start in range(0, len(params), PG_ROWS_PER_STATEMENT):
            chunk = params[start : start + PG_ROWS_PER_STATEMENT]
            conn.exec_driver_sql(_pg_delta_sql(m, len(chunk)), _flat(chunk))
        save_head(conn, state)
        return
    parts = []
    if rows:
        parts.append(f"t AS ({_insert_sql(m, len(rows))})")
    if params:
        parts.append(f"a AS ({_pg_delta_sql(m, len(params))})")
    with_clause = f"WITH {', '.join(parts)} " if parts else ""
    conn.exec_driver_sql(
        with_clause + _head_update_sql(m), (*_flat(rows), *_flat(params), *_head_params(state))
    )


_SQLITE_DELTA = (
    "UPDATE ledger_accounts SET debits_pending = debits_pending + ?, "
    "debits_posted = debits_posted + ?, credits_pending = credits_pending + ?, "
    "credits_posted = credits_posted + ? WHERE id = ?"
)


def _delta_params(deltas: Mapping[int, tuple[int, int, int, int]]) -> list[tuple[int, ...]]:
    # In account id order, so row locks are always taken in one order.
    return [(*d, key) for key, d in sorted(deltas.items())]


def _flat(rows: Iterable[tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(value for row in rows for value in row)


def _insert_sql(mark: str, row_count: int) -> str:
    one_row = f"({', '.join([mark] * len(TRANSFER_COLUMNS))})"
    columns = ", ".join(TRANSFER_COLUMNS)
    values = ", ".join([one_row] * row_count)
    return f"INSERT INTO ledger_transfers ({columns}) VALUES {values}"


def _pg_delta_sql(mark: str, row_count: int) -> str:
    one_row = f"({', '.join([f'{mark}::bigint'] * 5)})"
    return (
        "UPDATE ledger_accounts AS la SET debits_pending = la.debits_pending + d.dp, "
        "debits_posted = la.debits_posted + d.dpo, credits_pending = la.credits_pending + d.cp, "
        "credits_posted = la.credits_posted + d.cpo "
        f"FROM (VALUES {', '.join([one_row] * row_count)}) AS d(dp, dpo, cp, cpo, id) "
        "WHERE la.id = d.id"
    )


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


def account_balance(row: Any, balances: Balances | None = None) -> AccountBalance:
    b = balances or _balances(row)
    return AccountBalance(
        id=row.id,
        code=row.code,
        currency=row.currency,
        flags=AccountFlags(row.flags),
        holder=row.holder,
        metadata=row.metadata,
        debits_pending=b.debits_pending,
        debits_posted=b.debits_posted,
        credits_pending=b.credits_pending,
        credits_posted=b.credits_posted,
        timestamp=ns_to_datetime(row.timestamp_ns),
    )


def account_rows(conn: Connection, where: ColumnElement[bool]) -> list[Any]:
    return list(conn.execute(select(accounts).where(where).order_by(accounts.c.id)))


def stored(row: Any) -> StoredTransfer:
    return StoredTransfer(
        id=row.id,
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount_dong=row.amount_dong,
        reference=row.reference,
        memo=row.memo,
        flags=TransferFlags(row.flags),
        pending_id=row.pending_id,
        timeout_s=row.timeout_s,
        metadata=row.metadata,
        timestamp=ns_to_datetime(row.timestamp_ns),
        timestamp_ns=row.timestamp_ns,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def transfer_rows(
    conn: Connection, where: ColumnElement[bool], *, limit: int | None = None
) -> list[StoredTransfer]:
    query = select(transfers).where(where).order_by(transfers.c.timestamp_ns).limit(limit)
    return [stored(row) for row in conn.execute(query)]


def touching(account_id: int) -> ColumnElement[bool]:
    return or_(
        transfers.c.debit_account_id == account_id, transfers.c.credit_account_id == account_id
    )


def balances_as_of(conn: Connection, account_id: int, at_ns: int) -> Balances:
    """An account's four balances from its transfers with timestamp <= at_ns."""
    t = transfers
    resolution = transfers.alias("resolution")
    flags = t.c.flags
    posted = and_(t.c.timestamp_ns <= at_ns, flags.op("&")(_PENDING | _VOID) == 0)
    open_pending = and_(
        t.c.timestamp_ns <= at_ns,
        flags.op("&")(_PENDING) != 0,
        ~exists().where(resolution.c.pending_id == t.c.id, resolution.c.timestamp_ns <= at_ns),
    )

    def total(side: ColumnElement[bool], which: ColumnElement[bool]) -> int:
        query = select(func.coalesce(func.sum(t.c.amount_dong), 0)).where(side, which)
        return int(conn.execute(query).scalar_one())

    debit, credit = t.c.debit_account_id == account_id, t.c.credit_account_id == account_id
    return Balances(
        total(debit, open_pending), total(debit, posted), total(credit, open_pending),
        total(credit, posted),
    )  # fmt: skip


# -- queries for verify (aggregates run in the database) -------------------------------------


def currency_totals(conn: Connection) -> list[Any]:
    a = accounts.c
    query = select(
        a.currency,
        func.coalesce(func.sum(a.debits_pending), 0).label("debits_pending"),
        func.coalesce(func.sum(a.debits_posted), 0).label("debits_posted"),
        func.coalesce(func.sum(a.credits_pending), 0).label("credits_pending"),
        func.coalesce(func.sum(a.credits_posted), 0).label("credits_posted"),
    ).group_by(a.currency)
    return list(conn.execute(query))


def balances_from_transfers(conn: Connection) -> dict[int, Balances]:
    """Every account's balances recomputed from the transfer rows (GROUP BY in the database)."""
    t = transfers
    resolution = transfers.alias("resolution")
    posted = t.c.flags.op("&")(_PENDING | _VOID) == 0
    open_pending = and_(
        t.c.flags.op("&")(_PENDING) != 0, ~exists().where(resolution.c.pending_id == t.c.id)
    )
    sums: dict[int, list[int]] = {}
    for side, offset in ((t.c.debit_account_id, 0), (t.c.credit_account_id, 2)):
        for which, slot in ((open_pending, 0), (posted, 1)):
            query = select(side, func.sum(t.c.amount_dong)).where(which).group_by(side)
            for account_id, total in conn.execute(query):
                sums.setdefault(account_id, [0, 0, 0, 0])[offset + slot] = int(total)
    return {key: Balances(*values) for key, values in sums.items()}


def resolutions(conn: Connection) -> list[Any]:
    """Each post/void row beside the pending transfer it names (None columns when missing)."""
    r = transfers.alias("r")
    p = transfers.alias("p")
    query = (
        select(
            r.c.id, r.c.flags, r.c.amount_dong, r.c.debit_account_id, r.c.credit_account_id,
            r.c.pending_id, p.c.id.label("p_id"), p.c.flags.label("p_flags"),
            p.c.amount_dong.label("p_amount"), p.c.debit_account_id.label("p_debit"),
            p.c.credit_account_id.label("p_credit"), p.c.timestamp_ns.label("p_ts"),
            r.c.timestamp_ns,
        )
        .select_from(r.outerjoin(p, p.c.id == r.c.pending_id))
        .where(r.c.flags.op("&")(_POST | _VOID) != 0)
        .order_by(r.c.timestamp_ns)
    )  # fmt: skip
    return list(conn.execute(query))


def chain_rows(conn: Connection) -> Iterator[Any]:
    """Every transfer in chain (timestamp) order, streamed."""
    query = select(transfers).order_by(transfers.c.timestamp_ns)
    yield from conn.execution_options(yield_per=2000).execute(query)
