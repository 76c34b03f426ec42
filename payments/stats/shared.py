"""The twelve payer counts of a refresh on two connections at once (both databases).

The counts are the largest part of a refresh (about 8 of 21 s on PostgreSQL and 12 of 32 s on
SQLite, a million payments): twelve independent groupings of the staged payers, each on one
core. PostgreSQL never runs a query over a TEMPORARY table in parallel, and a parallel plan of
one count was slower than the serial one (1.1 s against 0.7 s: partial aggregates of (unit,
period, payer) groups do not shrink); SQLite never runs one query on two cores. So the refresh
stages the payers where a second connection can read them (not in a TEMPORARY table), commits,
and both connections count pairs from that table, each taking the next pair when it is free.
The second connection's few thousand result rows come back through Python; the payments never
do. PostgreSQL, 12 counts side by side on the benchmark's data: 5.0 s against 8.8 s.

- PostgreSQL: an UNLOGGED table named after a random token; the refreshing session holds an
  advisory lock on that token while the table exists, and a table left behind by a job that
  died (its session ended, so its lock is free) is dropped by the next job that shares.
- SQLite: a table in a scratch database file of its own (a temporary directory, no journal),
  attached to the refreshing connection and opened by the second one; it is detached and
  deleted afterwards.

On SQLite the commit ends the refreshing connection's read snapshot: every payment has been
read by then; what the summaries still read afterwards is the market directory.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from queue import SimpleQueue

from sqlalchemy import Column, Connection, Engine, MetaData, Table, create_engine, text
from sqlalchemy.exc import DBAPIError

from payments.stats.bulk import KIB_PER_MIB, POSTGRES_JOB_WORK_MEM_MIB, SQLITE_JOB_CACHE_MIB
from payments.stats.payers import Counted, Packing, pair_counts
from payments.stats.sources import Level
from payments.stats.sql import Period

SHARED_PREFIX = "stat_shared_payers_"
LOCK_CLASS = 7007  # advisory-lock namespace of the statistics refresh (first int4 key)
TOKEN_BITS = 31  # the second int4 key of the lock, and the table name's suffix
SQLITE_SCRATCH = "shared_payers"  # the scratch database's schema name on the refreshing side
SQLITE_SCRATCH_FILE = "payers.db"

Pair = tuple[Level, Period]
Opener = Callable[[], Connection]
Found = SimpleQueue[tuple[Pair, list[tuple[object, ...]]]]


@contextmanager
def count_payers_shared(
    connection: Connection,
    payers: Table,
    fill: Callable[[Table], Packing | None],
    counts: Table,
    levels: Sequence[Level],
    periods: Sequence[Period],
    counted: Counted,
    *,
    engine: Engine,
) -> Iterator[None]:
    """Fill ``counts`` for every level × period, about half of them on a second connection,
    which starts on entering; the refreshing connection's work inside the block overlaps with
    it, and it takes its own share of the pairs on leaving. ``counted`` runs on ``connection``
    as soon as a pair's counts are in ``counts`` (its summary, say), while the second
    connection goes on counting. Commits ``connection``'s transaction once, on entering: call
    it only where the caller owns that transaction, and the staged tables outlive a commit."""
    pairs = [(level, period) for level in levels for period in periods]
    pairs.sort(key=lambda pair: pair == (Level.MARKET, Period.DAY))  # the cheap one last
    share = _postgres_place if connection.dialect.name == "postgresql" else _sqlite_place
    columns = [c.name for c in counts.columns]
    with share(connection, payers, fill, engine) as (mine, shared, open_other, packing):
        queue = iter(pairs)
        lock = threading.Lock()
        failed = threading.Event()

        def take() -> Pair | None:
            with lock:
                return None if failed.is_set() else next(queue, None)

        found: Found = SimpleQueue()

        def take_theirs() -> None:
            """Store the pairs the other connection has counted so far, and go on with them."""
            while not found.empty():
                pair, rows = found.get()
                if rows:
                    values = [dict(zip(columns, row, strict=True)) for row in rows]
                    connection.execute(counts.insert(), values)
                counted(*pair)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="payers") as pool:
            theirs = pool.submit(_count_elsewhere, open_other, shared, take, packing, found)
            try:
                yield
                while (pair := take()) is not None:
                    query = pair_counts(mine, *pair, packing)
                    connection.execute(counts.insert().from_select(columns, query))
                    counted(*pair)
                    take_theirs()
                theirs.result()  # its last pair, or its error
                take_theirs()
            except BaseException:
                failed.set()  # the other connection stops after its current pair
                raise


def _count_elsewhere(
    open_other: Opener,
    shared: Table,
    take: Callable[[], Pair | None],
    packing: Packing | None,
    found: Found,
) -> None:
    with open_other() as other, other.begin():
        if other.dialect.name == "postgresql":
            _widen(other)
        else:
            # The refreshing connection's page cache, so that the sorts stay in memory.
            other.execute(text(f"PRAGMA cache_size = -{SQLITE_JOB_CACHE_MIB * KIB_PER_MIB}"))
        while (pair := take()) is not None:
            query = pair_counts(shared, *pair, packing)
            found.put((pair, [tuple(row) for row in other.execute(query)]))


def _like(
    table: Table, name: str, *, schema: str | None = None, prefixes: list[str] | None = None
) -> Table:
    columns = [Column(c.name, c.type) for c in table.columns]
    return Table(name, MetaData(), *columns, schema=schema, prefixes=prefixes or [])


@contextmanager
def _postgres_place(
    connection: Connection, payers: Table, fill: Callable[[Table], Packing | None], engine: Engine
) -> Iterator[tuple[Table, Table, Opener, Packing | None]]:
    token = secrets.randbits(TOKEN_BITS)
    name = f"{SHARED_PREFIX}{token:08x}"
    _drop_abandoned(connection)
    connection.execute(text("SELECT pg_advisory_lock(:c, :t)"), {"c": LOCK_CLASS, "t": token})
    failed = True
    try:
        shared = _like(payers, name, prefixes=["UNLOGGED"])
        shared.create(connection)
        packing = fill(shared)
        connection.execute(text(f"ANALYZE {name}"))
        connection.commit()
        _widen(connection)  # SET LOCAL ended with the commit
        yield shared, shared, engine.connect, packing
        connection.execute(text(f"DROP TABLE {name}"))
        failed = False
    finally:
        if failed:
            # The job fails anyway: end its transaction so that the table can go and the lock
            # be released now, not when the pooled session ends.
            connection.rollback()
            with suppress(DBAPIError):
                connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
                connection.commit()
        connection.execute(text("SELECT pg_advisory_unlock(:c, :t)"), {"c": LOCK_CLASS, "t": token})


@contextmanager
def _sqlite_place(
    connection: Connection, payers: Table, fill: Callable[[Table], Packing | None], _engine: Engine
) -> Iterator[tuple[Table, Table, Opener, Packing | None]]:
    # ATTACH is refused inside a transaction: commit the read first (every payment has been
    # read by now), attach on the driver.
    connection.commit()
    driver = connection.connection.driver_connection
    assert driver is not None
    with tempfile.TemporaryDirectory(prefix="marketpay-payers-") as directory:
        path = Path(directory) / SQLITE_SCRATCH_FILE
        driver.execute(f"ATTACH DATABASE '{path}' AS {SQLITE_SCRATCH}")
        scratch = create_engine(f"sqlite:///{path}")
        try:
            driver.execute(f"PRAGMA {SQLITE_SCRATCH}.journal_mode = OFF")
            driver.execute(f"PRAGMA {SQLITE_SCRATCH}.synchronous = OFF")
            mine = _like(payers, payers.name, schema=SQLITE_SCRATCH)
            mine.create(connection)
            packing = fill(mine)  # from the staged receipts, straight into the scratch file
            connection.commit()
            yield mine, _like(payers, payers.name), scratch.connect, packing
        finally:
            scratch.dispose()
            if connection.in_transaction():
                connection.commit()  # DETACH is refused inside a transaction too
            driver.execute(f"DETACH DATABASE {SQLITE_SCRATCH}")


def _widen(connection: Connection) -> None:
    connection.execute(text(f"SET LOCAL work_mem = '{POSTGRES_JOB_WORK_MEM_MIB}MB'"))
    connection.execute(text("SET LOCAL jit = off"))


def _drop_abandoned(connection: Connection) -> None:
    """Drop PostgreSQL copies whose job is gone (nobody holds their token's lock)."""
    names = connection.execute(
        text(
            "SELECT relname FROM pg_class WHERE relname LIKE :pattern "
            "AND relnamespace = current_schema()::regnamespace AND relkind = 'r'"
        ),
        {"pattern": SHARED_PREFIX.replace("_", r"\_") + "%"},
    ).scalars()
    for table_name in list(names):
        try:
            token = int(table_name.removeprefix(SHARED_PREFIX), 16)
        except ValueError:
            continue
        held = {"c": LOCK_CLASS, "t": token}
        if connection.execute(text("SELECT pg_try_advisory_lock(:c, :t)"), held).scalar_one():
            connection.execute(text(f"DROP TABLE IF EXISTS {table_name}"))
            connection.execute(text("SELECT pg_advisory_unlock(:c, :t)"), held)
