"""The ledger's read-side queries: balances, history, lookups, and the aggregates ``verify`` runs
in the database. No locks, no writes (the writers' queries are in ``store``).

All functions take an open ``Connection`` and never commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select
from sqlalchemy.sql import ColumnElement

from ledger.model import (
    AccountBalance,
    AccountFlags,
    Balances,
    LedgerError,
    StoredTransfer,
    TransferFlags,
)
from ledger.store import HEAD_MISSING, Head, ns_to_datetime
from ledger.tables import HEAD_ID, accounts, head, transfers

_PENDING = int(TransferFlags.PENDING)
_POST = int(TransferFlags.POST_PENDING_TRANSFER)
_VOID = int(TransferFlags.VOID_PENDING_TRANSFER)


def read_head(conn: Connection) -> Head:
    row = conn.execute(select(head).where(head.c.id == HEAD_ID)).first()
    if row is None:
        raise LedgerError(HEAD_MISSING)
    return Head(
        row.last_timestamp_ns,
        row.last_hash,
        row.transfer_count,
        row.expired_through_ns,
        row.next_expiry_ns,
    )


def account_balance(row: Any, balances: Balances | None = None) -> AccountBalance:
    b = balances or Balances(
        row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted
    )
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
