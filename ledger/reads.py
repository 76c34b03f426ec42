"""The ledger's read side: balances, history, lookups and verify (no locks, no writes)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine

from ledger import read_queries, store
from ledger.model import (
    PAGE_LIMIT_MAX,
    AccountBalance,
    LedgerError,
    StoredTransfer,
    TransferPage,
    Violation,
)
from ledger.tables import accounts, transfers
from ledger.verify import verify


class LedgerReads:
    engine: Engine

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        # Readers take no write lock on SQLite (a DEFERRED transaction sees one snapshot).
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_begin="DEFERRED")
            with conn.begin():
                yield conn

    def lookup_accounts(self, ids: Iterable[int]) -> list[AccountBalance]:
        """The accounts that exist among ``ids``, in the order asked (missing ones omitted)."""
        wanted = list(ids)
        found: dict[int, AccountBalance] = {}
        with self._read() as conn:
            for chunk in store.chunks(store.in_range(wanted)):
                for row in read_queries.account_rows(conn, accounts.c.id.in_(chunk)):
                    found[row.id] = read_queries.account_balance(row)
        return [found[i] for i in dict.fromkeys(wanted) if i in found]

    def account_by_code(self, code: str) -> AccountBalance | None:
        with self._read() as conn:
            rows = read_queries.account_rows(conn, accounts.c.code == code)
        return read_queries.account_balance(rows[0]) if rows else None

    def get_transfers(self, ids: Iterable[int]) -> list[StoredTransfer]:
        """Stored transfers among ``ids`` in the order asked (missing ones omitted)."""
        wanted = list(ids)
        found: dict[int, StoredTransfer] = {}
        valid = {i for i in wanted if isinstance(i, int) and -store.ID_LIMIT < i < store.ID_LIMIT}
        with self._read() as conn:
            for chunk in store.chunks(valid):
                for item in read_queries.transfer_rows(conn, transfers.c.id.in_(chunk)):
                    found[item.id] = item
        return [found[i] for i in dict.fromkeys(wanted) if i in found]

    def transfers_by_reference(self, reference: str) -> list[StoredTransfer]:
        with self._read() as conn:
            return read_queries.transfer_rows(conn, transfers.c.reference == reference)

    def account_transfers(
        self, account_id: int, *, cursor: int | None = None, limit: int = 100
    ) -> TransferPage:
        """An account's transfers in ledger order; ``cursor`` is the previous page's
        ``next_cursor`` (a ledger timestamp in ns)."""
        if not 1 <= limit <= PAGE_LIMIT_MAX:
            raise LedgerError(f"limit {limit}: must be 1..{PAGE_LIMIT_MAX}")
        if cursor is not None and cursor < 0:
            raise LedgerError(f"cursor {cursor}: must not be negative")
        where = read_queries.touching(account_id)
        if cursor is not None:
            where = where & (transfers.c.timestamp_ns > cursor)
        with self._read() as conn:
            items = read_queries.transfer_rows(conn, where, limit=limit + 1)
        more = len(items) > limit
        items = items[:limit]
        return TransferPage(items, items[-1].timestamp_ns if more else None)

    def balance_as_of(self, account_id: int, at: datetime) -> AccountBalance:
        """The account's balances counting only transfers committed at or before ``at``."""
        at_ns = store.datetime_to_ns(at)
        with self._read() as conn:
            rows = read_queries.account_rows(conn, accounts.c.id == account_id)
            if not rows:
                raise LedgerError(f"account {account_id} not found")
            balances = read_queries.balances_as_of(conn, account_id, at_ns)
        return read_queries.account_balance(rows[0], balances)

    def verify(self) -> list[Violation]:
        """Every broken invariant (empty when the ledger is sound)."""
        with self._read() as conn:
            return verify(conn)
