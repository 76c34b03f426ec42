"""The daily job: reconcile business days and refresh their adoption statistics, concurrently.

The two halves read the same month but share nothing else: reconciliation writes its results
(``recon_*`` tables), the statistics their summary rows (``stat_adoption``). Each reads under its
own snapshot on its own connection without holding a write lock (``DEFERRED`` on SQLite; MVCC on
PostgreSQL) and writes in a short transaction at its end, so they run side by side on two
threads: SQLite's work happens inside ``sqlite3_step``, which releases the GIL, and PostgreSQL's
in two server processes. On a two-core machine the job takes about as long as its longer half
instead of the sum of both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine

from payments.reconciliation.job import RunSummary, check_range, reconcile_range
from payments.reconciliation.model import Tolerance
from payments.stats.report import prepared_refresh
from payments.stats.sql import Rows

HALVES = 2
T = TypeVar("T")


@dataclass(frozen=True)
class DailyRun:
    """What the daily job did, and how long each half took (wall seconds, on its own thread)."""

    reconciliation: RunSummary
    summary_rows: int
    reconcile_s: float
    statistics_s: float


def close_days(
    engine: Engine,
    first: date,
    last: date,
    *,
    now: datetime,
    cash: Rows | None,
    settlement_dir: Path | None = None,
    tolerance: Tolerance | None = None,
) -> DailyRun:
    """Reconcile ``first``..``last`` and refresh the statistics of the periods they touch.

    A range the job cannot reconcile is refused before either half starts. The statistics are
    published only once reconciliation has succeeded: a range without any payment record (or
    any reconciliation error) is raised and stores nothing, statistics included. An error of
    the statistics half is raised after both halves finished; reconciliation's results, valid
    on their own, are then stored."""
    check_range(first, last)
    with ThreadPoolExecutor(max_workers=HALVES, thread_name_prefix="daily") as pool:
        reconciled = pool.submit(
            _timed,
            lambda: reconcile_range(
                engine,
                first,
                last,
                now=now,
                settlement_dir=settlement_dir,
                tolerance=tolerance,
                parallel=False,  # the statistics keep the other core busy
            ),
        )

        def refresh_after_reconciled() -> int:
            with prepared_refresh(engine, now=now, cash=cash, first=first, last=last) as publish:
                if reconciled.exception() is not None:
                    return 0  # not published; the reconciliation error is raised below
                return publish()

        refreshed = pool.submit(_timed, refresh_after_reconciled)
    summary, reconcile_s = reconciled.result()
    rows, statistics_s = refreshed.result()
    return DailyRun(summary, rows, reconcile_s, statistics_s)


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started
