"""The daily job: reconciliation and statistics side by side, each reading without a write lock."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from merchant_app.database import make_engine
from merchant_app.schema import create_all
from payments.daily import close_days
from payments.faults import FaultRates
from payments.reconciliation.job import NoDataForDay, ReconciliationError, reconcile_range
from payments.reconciliation.tables import exceptions
from payments.reconciliation.tables import metadata as recon_metadata
from payments.stats.report import refresh_all
from payments.stats.tables import adoption
from tests.payments.reconciliation.world import REALISTIC_RATES, build_month

NOW = datetime(2026, 6, 5, tzinfo=UTC)
DAYS = 4
# Ten times the realistic rates, so four days surely hold discrepancies of several kinds.
HEAVY_RATES = FaultRates({kind: 10 * rate for kind, rate in REALISTIC_RATES.rates.items()})


@pytest.fixture
def recon_db(db: Engine) -> Engine:
    recon_metadata.create_all(db)
    return db


def _stored(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        found = connection.execute(
            select(exceptions.c.business_day, exceptions.c.kind, exceptions.c.switch_ref).order_by(
                exceptions.c.business_day, exceptions.c.kind, exceptions.c.switch_ref
            )
        ).all()
        summaries = connection.execute(
            select(adoption).order_by(
                adoption.c.level, adoption.c.unit_id, adoption.c.period, adoption.c.period_start
            )
        ).all()
    return [tuple(row) for row in found], [tuple(row) for row in summaries]


def test_the_daily_job_stores_what_the_two_jobs_store_one_after_the_other(
    recon_db: Engine, tmp_path: Path
) -> None:
    month = build_month(recon_db, days=DAYS, rates=HEAVY_RATES, settlement_dir=tmp_path)
    first, last = month.days[0], month.days[-1]
    run = close_days(recon_db, first, last, now=NOW, cash=None, settlement_dir=tmp_path)
    together = _stored(recon_db)
    assert month.expected, "the world injected no fault: the comparison would prove little"
    assert {(kind, ref) for _day, kind, ref in together[0]} == {
        (kind.value, ref) for kind, ref in month.expected
    }
    assert run.summary_rows == len(together[1]) > 0
    summary = reconcile_range(recon_db, first, last, now=NOW, settlement_dir=tmp_path)
    rows = refresh_all(recon_db, now=NOW, cash=None, first=first, last=last)
    assert summary.counts() == run.reconciliation.counts()
    assert rows == run.summary_rows
    assert _stored(recon_db) == together  # replaced, not duplicated, and the same either way


def test_a_range_without_records_is_an_error_and_stores_nothing(recon_db: Engine) -> None:
    month = build_month(recon_db, days=1)
    empty_day = month.days[0] + timedelta(days=10)  # nothing recorded on it
    with pytest.raises(NoDataForDay, match=empty_day.isoformat()):
        close_days(recon_db, empty_day, empty_day, now=NOW, cash=None)
    # The statistics half computed its (zero) rows but did not publish them.
    assert _stored(recon_db) == ([], [])


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (date(2026, 5, 3), date(2026, 5, 1), "before the start"),
        (date(2026, 1, 1), date(2027, 6, 1), "longer than"),
        (date(1999, 12, 31), date(1999, 12, 31), "must be"),
    ],
)
def test_bad_ranges_are_refused_before_either_half_runs(
    recon_db: Engine, first: date, last: date, message: str
) -> None:
    build_month(recon_db, days=1)
    with pytest.raises(ReconciliationError, match=message):
        close_days(recon_db, first, last, now=NOW, cash=None)
    assert _stored(recon_db) == ([], [])


def test_neither_half_holds_sqlites_write_lock_while_it_reads(tmp_path: Path) -> None:
    path = tmp_path / "daily.db"
    engine = make_engine(f"sqlite:///{path}")
    create_all(engine)
    recon_metadata.create_all(engine)
    month = build_month(engine, days=2)
    # Statements that run while each half reads the month (not in its closing write).
    reading = {"INSERT INTO recon_claims": "reconciliation", "INSERT INTO stat_stage_receipts": (
        "statistics")}  # fmt: skip
    writes: dict[str, str] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _write_meanwhile(*args: Any) -> None:
        statement: str = args[2]
        half = next((name for prefix, name in reading.items() if statement.startswith(prefix)), "")
        if not half or half in writes:
            return
        # A payment's writer, with no patience at all: it fails at once if the lock is taken.
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE pay_markets SET name = name")
            other.execute("COMMIT")
            writes[half] = "committed"
        except sqlite3.OperationalError as exc:
            writes[half] = str(exc)
        finally:
            other.close()

    first, last = month.days[0], month.days[-1]
    try:
        # One half at a time, so that the other's closing write cannot be what holds the lock.
        summary = reconcile_range(engine, first, last, now=NOW)
        rows = refresh_all(engine, now=NOW, cash=None, first=first, last=last)
    finally:
        engine.dispose()
    assert writes == {"reconciliation": "committed", "statistics": "committed"}
    # Both published after another writer had committed during their reads.
    assert rows > 0
    assert len(summary.days) == len(month.days)
