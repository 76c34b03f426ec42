"""One database transaction per simulated day, under code written for an ``Engine``.

The simulation drives the real payment code (ledger, banks, directory, switch), which opens its
own short transactions with ``engine.begin()`` and reads with ``engine.connect()``. To make a
whole simulated day durable at once (crash safety, docs/RELIABILITY.md F1), the engine's run
loop hands that code a ``DayTransaction`` instead of the engine: every transaction opened
through it is a SAVEPOINT inside one outer transaction on one connection, and every read runs
on that connection, so it sees the day's own writes. The run loop ``commit()``s the outer
transaction with the run row's progress; a crash before that leaves nothing of the day behind.

On SQLite the day's connection gets a page cache of ``DAY_CACHE_MIB`` while the day is open: a
day's dirty pages (a 10,000-payment day dirties tens of MiB) overflow the default 2 MiB cache,
and SQLite then spills them to the WAL in mid-transaction, writing a page again each time the
day touches it after its spill.

The savepoints keep each caller's own rollback semantics (the ledger's group commit retries a
failed merged pass batch by batch). One connection means no second connection ever waits for
the day's write lock (SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text

DAY_CACHE_MIB = 64
KIB_PER_MIB = 1024


class _SharedConnection:
    """The day's connection as ``engine.connect()`` hands it out: ``begin()`` opens a
    savepoint, options are the day transaction's, and ``commit()`` is left to the day."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def begin(self) -> Any:
        return self._connection.begin_nested()

    def execution_options(self, **_options: Any) -> _SharedConnection:
        # A read asking for a DEFERRED SQLite transaction: the day's transaction is already
        # open (and holds the write lock), so there is nothing to choose any more.
        return self

    def commit(self) -> None:
        # "Commit as you go" work becomes durable with the day, not before.
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class DayTransaction:
    """Stands in for the ``Engine`` between ``open()`` and ``commit()`` (or ``abandon()``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._cache_size: int | None = None  # the connection's own, put back after the day

    @property
    def dialect(self) -> Any:
        return self._engine.dialect

    @property
    def url(self) -> Any:
        return self._engine.url

    def open(self) -> None:
        assert self._connection is None, "a day transaction is already open"
        connection = self._engine.connect()
        connection.begin()
        if connection.dialect.name == "sqlite":
            self._cache_size = int(connection.execute(text("PRAGMA cache_size")).scalar_one())
            # A negative cache_size is in KiB.
            connection.execute(text(f"PRAGMA cache_size = -{DAY_CACHE_MIB * KIB_PER_MIB}"))
        self._connection = connection

    def commit(self) -> None:
        connection = self._current()
        self._connection = None
        try:
            connection.commit()
            self._restore_cache(connection)
        finally:
            connection.close()

    def abandon(self) -> None:
        """Roll the open day back (nothing of it stays); harmless when none is open."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()  # closing rolls back the open transaction
            self._cache_size = None  # a failed connection is not worth a restore

    def _restore_cache(self, connection: Connection) -> None:
        if self._cache_size is not None:
            connection.execute(text(f"PRAGMA cache_size = {self._cache_size}"))
            connection.commit()  # the PRAGMA autobegan a transaction ("commit as you go")
            self._cache_size = None

    def _current(self) -> Connection:
        assert self._connection is not None, "no day transaction is open"
        return self._connection

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        connection = self._current()
        with connection.begin_nested():
            yield connection

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        shared: Any = _SharedConnection(self._current())
        yield shared
