"""On PostgreSQL, the twelve payer counts of a refresh on two connections at once.

The counts are the largest part of a refresh (about 8 of 21 s on a million payments), twelve
independent hash aggregations of the staged payers, each on one core: PostgreSQL never runs a
query over a TEMPORARY table in parallel, and a parallel plan of one count was slower than the
serial one (1.1 s against 0.7 s: partial aggregates of (unit, period, payer) groups do not
shrink). So the refresh shares the staged payers instead: it copies them into an UNLOGGED table
(0.4 s), commits, and a second connection counts pairs from the copy while the refreshing
connection counts the others from its own table, each taking the next pair when it is free
(12 counts: 5.0 s against 8.8 s one after the other, measured side by side on the benchmark's
data). The second connection's
few thousand result rows come back through Python; the payments never do.

The copy is named after a random token, and the refreshing session holds an advisory lock on
that token while the copy exists. A copy left behind by a job that died (its session ended, so
its lock is free) is dropped by the next job that shares its payers.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

from sqlalchemy import Column, Connection, Engine, MetaData, Table, text
from sqlalchemy.exc import DBAPIError

from payments.stats.bulk import POSTGRES_JOB_WORK_MEM_MIB
from payments.stats.payers import pair_counts
from payments.stats.sources import Level
from payments.stats.sql import Period

SHARED_PREFIX = "stat_shared_payers_"
LOCK_CLASS = 7007  # advisory-lock namespace of the statistics refresh (first int4 key)
TOKEN_BITS = 31  # the second int4 key of the lock, and the table name's suffix


def count_payers_shared(
    connection: Connection,
    payers: Table,
    counts: Table,
    levels: Sequence[Level],
    periods: Sequence[Period],
    *,
    engine: Engine,
) -> None:
    """Fill ``counts`` for every level × period, about half of them on a second connection of
    ``engine``. Commits ``connection``'s transaction once (after copying the payers): call it
    only where the caller owns that transaction, and the staged tables are not ON COMMIT DROP."""
    pairs = [(level, period) for level in levels for period in periods]
    pairs.sort(key=lambda pair: pair == (Level.MARKET, Period.DAY))  # the cheap one last
    token = secrets.randbits(TOKEN_BITS)
    name = f"{SHARED_PREFIX}{token:08x}"
    _drop_abandoned(connection)
    connection.execute(text("SELECT pg_advisory_lock(:c, :t)"), {"c": LOCK_CLASS, "t": token})
    try:
        connection.execute(text(f"CREATE UNLOGGED TABLE {name} AS SELECT * FROM {payers.name}"))
        connection.execute(text(f"ANALYZE {name}"))
        connection.commit()
        _widen(connection)  # SET LOCAL ended with the commit
        shared = Table(name, MetaData(), *(Column(c.name, c.type) for c in payers.columns))
        # One queue of pairs, each connection taking the next when it is free: the pairs differ
        # in cost (market × day needs no regrouping), so a fixed half each left one waiting.
        queue = iter(pairs)
        lock = threading.Lock()

        def take() -> tuple[Level, Period] | None:
            with lock:
                return next(queue, None)

        columns = [c.name for c in counts.columns]
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="payers") as pool:
            theirs = pool.submit(_count_elsewhere, engine, shared, take)
            while (pair := take()) is not None:
                query = pair_counts(payers, *pair)
                connection.execute(counts.insert().from_select(columns, query))
        rows = theirs.result()
        if rows:
            keys = [c.name for c in counts.columns]
            connection.execute(counts.insert(), [dict(zip(keys, row, strict=True)) for row in rows])
        connection.execute(text(f"DROP TABLE {name}"))
    finally:
        # In a failed transaction this fails too: the lock then ends with the session, and the
        # copy (if it was committed) is dropped by a later job.
        with suppress(DBAPIError):
            connection.execute(
                text("SELECT pg_advisory_unlock(:c, :t)"), {"c": LOCK_CLASS, "t": token}
            )


def _count_elsewhere(
    engine: Engine, shared: Table, take: Callable[[], tuple[Level, Period] | None]
) -> list[tuple[object, ...]]:
    with engine.connect() as other, other.begin():
        _widen(other)
        found: list[tuple[object, ...]] = []
        while (pair := take()) is not None:
            found.extend(tuple(row) for row in other.execute(pair_counts(shared, *pair)))
        return found


def _widen(connection: Connection) -> None:
    connection.execute(text(f"SET LOCAL work_mem = '{POSTGRES_JOB_WORK_MEM_MIB}MB'"))
    connection.execute(text("SET LOCAL jit = off"))


def _drop_abandoned(connection: Connection) -> None:
    """Drop shared copies whose job is gone (nobody holds their token's lock)."""
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
