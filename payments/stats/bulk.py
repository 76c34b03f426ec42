"""Session settings for the two bulk jobs: reconciling a range and refreshing the statistics.

Both read every payment of a month once and group it in large sorts or hashes. The defaults
suit the app's short requests, not these jobs, so each job widens them for its own connection
and puts them back afterwards:

- SQLite: a page cache of ``SQLITE_JOB_CACHE_MIB`` (with the default 2 MiB, nearly every index
  probe into the month's tables was a read() system call: more CPU in the kernel than in
  SQLite). ``temp_store`` is left alone: changing it drops the connection's temporary tables.
  A memory map of up to ``SQLITE_JOB_MMAP_MIB``, so pages are read in place instead of copied
  in by read(): statistics of 1M payments 33.1 s against 35.9 s, side by side (the raw passes
  each 10-20% faster). The reconciliation job measured the same for its claims.
- PostgreSQL: ``work_mem`` of ``POSTGRES_JOB_WORK_MEM_MIB`` so grouping a month hashes in memory
  instead of spilling, and no JIT (compiling each statement cost about half a second, a large
  share of statements that run in one to three seconds). ``SET LOCAL`` ends with the transaction.
  ``temp_buffers`` of ``POSTGRES_JOB_TEMP_BUFFERS_MIB``: the staging tables are TEMPORARY, read
  through the session's own buffers (8 MiB by default, so a million-row table went through the
  kernel on every read); 23.0 s instead of 25.7 s for the statistics of 1M payments. PostgreSQL
  refuses the change once the session has touched a temporary table: then it is skipped.
  The reconciliation job passes its own, small ``work_mem`` (``POSTGRES_RECON_WORK_MEM_MIB``):
  its joins of a month's switch records, ledger legs, credits and events then hash in batches
  whose tables fit the CPU's caches, where one table of a million rows misses on nearly every
  probe. On the benchmark's 1M payments, without parallel workers: 7.4-7.9 s of CPU with 4-16
  MiB against 9.2 s with 256 MiB (14:25 UTC, one run each, 2 MiB an outlier at 9.2 s).
- ``parallel=False`` (PostgreSQL): no parallel workers for the job's statements. The daily job
  runs its two halves side by side on a two-core machine, so a worker only takes CPU from the
  other half; a parallel plan costs more CPU in all (reconciliation of 1M payments: 9.0-10.5 s
  of CPU with two workers, 7.7-7.9 s without).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

SQLITE_JOB_CACHE_MIB = 256
POSTGRES_JOB_WORK_MEM_MIB = 256
POSTGRES_RECON_WORK_MEM_MIB = 8
POSTGRES_JOB_TEMP_BUFFERS_MIB = 256
KIB_PER_MIB = 1024
SQLITE_JOB_MMAP_MIB = 2048
BYTES_PER_MIB = 1024 * 1024


@contextmanager
def bulk_session(
    connection: Connection,
    *,
    work_mem_mib: int = POSTGRES_JOB_WORK_MEM_MIB,
    parallel: bool = True,
) -> Iterator[None]:
    """Widen the connection's memory limits for one bulk job, then restore them.
    ``work_mem_mib`` and ``parallel``: PostgreSQL's ``work_mem`` and parallel workers."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text(f"SET LOCAL work_mem = '{int(work_mem_mib)}MB'"))
        connection.execute(text("SET LOCAL jit = off"))
        if not parallel:
            connection.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        _widen_temp_buffers(connection)
        yield
        return
    if dialect != "sqlite":
        yield
        return
    cache_size = connection.execute(text("PRAGMA cache_size")).scalar_one()
    mmap_size = connection.execute(text("PRAGMA mmap_size")).scalar_one()
    # A negative cache_size is in KiB.
    connection.execute(text(f"PRAGMA cache_size = -{SQLITE_JOB_CACHE_MIB * KIB_PER_MIB}"))
    connection.execute(text(f"PRAGMA mmap_size = {SQLITE_JOB_MMAP_MIB * BYTES_PER_MIB}"))
    try:
        yield
    finally:
        connection.execute(text(f"PRAGMA mmap_size = {int(mmap_size)}"))
        connection.execute(text(f"PRAGMA cache_size = {int(cache_size)}"))


def _widen_temp_buffers(connection: Connection) -> None:
    try:
        # A savepoint, so that the refusal (the session already used temporary tables) does
        # not abort the job's transaction.
        with connection.begin_nested():
            mib = POSTGRES_JOB_TEMP_BUFFERS_MIB
            connection.execute(text(f"SET LOCAL temp_buffers = '{mib}MB'"))
    except DBAPIError:
        pass  # the session keeps the buffers it has: slower, same results
