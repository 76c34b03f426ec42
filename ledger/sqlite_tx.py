"""The ledger's own SQLite write transactions: on the DBAPI connection, with the chain head and
account states kept from one transaction to the next on that connection.

Why at driver level: for a single-transfer call SQLAlchemy's ``Connection`` and transaction
objects (pool checkout events, begin/commit events, reset) cost ~40 µs, as much as SQLite's own
work for the call's statements. The pool is still SQLAlchemy's (``engine.raw_connection()``), so
the connection is the engine's, set up by its ``connect`` event (WAL, foreign keys, busy
timeout, synchronous=FULL), and ``BEGIN IMMEDIATE`` takes the write lock up front as the
engine's ``begin`` event does.

Why a cache, and why it is safe. After each transaction it commits, a connection remembers the
chain head and the account states that transaction read or wrote (``ChainCache``). The next
transaction on that connection, once it holds the write lock (so nobody can commit until it
does), asks SQLite whether anything changed since:

- ``PRAGMA data_version`` changes when ANY other connection, in any process, has committed;
- ``total_changes`` counts every row this connection inserted, updated or deleted (committed
  or rolled back, by our code or anyone's, triggers included).

If both are what they were right after our commit, the database is exactly as that commit
left it, so the remembered head and balances are the stored ones and need not be read again.
Anything else (another writer, a caller's transaction on this connection, a rollback, an error)
drops the cache and the transaction reads as usual. Transfers and pending transfers are always
read: only the head and account balances are kept.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Engine

from ledger.rules import AccountState
from ledger.store import Db, Head

T = TypeVar("T")
CACHED_ACCOUNTS_MAX = 10_000  # account states kept per connection; beyond, start afresh
_CACHE_KEY = "ledger_chain_cache"


class ChainCache:
    """The head and account states as this connection's last commit left them (see above)."""

    def __init__(self, dbapi: sqlite3.Connection) -> None:
        self.dbapi = dbapi
        self.head: Head | None = None
        self.accounts: dict[int, AccountState] = {}
        self._stamp: tuple[int, int] | None = None  # (data_version, total_changes) when valid
        self._data_version = 0
        self._staged: tuple[Head, Mapping[int, AccountState]] | None = None

    def begin(self) -> None:
        """Called holding the write lock: keep the remembered state only if it is the stored one
        (``head`` is None when not)."""
        (self._data_version,) = self.dbapi.execute("PRAGMA data_version").fetchone()
        self._staged = None
        if self._stamp != (self._data_version, self.dbapi.total_changes):
            self.clear()

    def stage(self, head: Head, accounts: Mapping[int, AccountState]) -> None:
        """What this transaction leaves stored, to keep once it commits."""
        self._staged = (head, accounts)

    def committed(self) -> None:
        staged, self._staged = self._staged, None
        if staged is None:  # the transaction wrote what the cache does not follow
            self.clear()
            return
        self.head = staged[0]
        if len(self.accounts) + len(staged[1]) > CACHED_ACCOUNTS_MAX:
            self.accounts = {}
        self.accounts.update(staged[1])
        self._stamp = (self._data_version, self.dbapi.total_changes)

    def clear(self) -> None:
        self.head, self.accounts, self._stamp, self._staged = None, {}, None, None


def run(engine: Engine, work: Callable[[Db], T]) -> T:
    """Run ``work`` in one ``BEGIN IMMEDIATE`` transaction on a pooled connection, commit."""
    pooled = engine.raw_connection()
    try:
        dbapi: Any = pooled.driver_connection
        cache = pooled.info.get(_CACHE_KEY)
        if not isinstance(cache, ChainCache) or cache.dbapi is not dbapi:
            cache = pooled.info[_CACHE_KEY] = ChainCache(dbapi)
        dbapi.execute("BEGIN IMMEDIATE")
        try:
            cache.begin()
            db = Db(dbapi, False, "?", cache)
            result = work(db)
            dbapi.execute("COMMIT")
        except BaseException:
            cache.clear()
            if dbapi.in_transaction:
                dbapi.rollback()
            raise
        cache.committed()
        return result
    finally:
        pooled.close()
