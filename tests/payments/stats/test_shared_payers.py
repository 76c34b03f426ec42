"""Payer counts shared with a second connection give the serial path's rows on both databases,
and leave no copy behind (PostgreSQL: and clear copies abandoned by dead jobs, never a live
job's; SQLite: no scratch file)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, literal, select, text
from sqlalchemy.exc import DBAPIError

from payments.stats.refresh import refresh
from payments.stats.report import refresh_all
from payments.stats.shared import LOCK_CLASS, SHARED_PREFIX
from payments.stats.sources import payments_sources
from payments.stats.tables import adoption
from payments.stats.tables import metadata as stats_metadata
from tests.payments.stats.test_refresh import LAST_DAY, NOW
from tests.payments.stats.world import FIRST_DAY, build_world, cash_source


def _rows(engine: Engine) -> list[tuple[Any, ...]]:
    order = (adoption.c.level, adoption.c.period, adoption.c.unit_id, adoption.c.period_start)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(adoption).order_by(*order))]


def _copies(engine: Engine) -> set[str]:
    if engine.dialect.name == "sqlite":
        return set()  # the scratch file's directory is checked by the test
    with engine.connect() as connection:
        names = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE tablename LIKE :p"),
            {"p": SHARED_PREFIX + "%"},
        ).scalars()
        return set(names)


def test_shared_counts_equal_the_serial_ones_and_leave_no_copy(
    db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_world(db)
    stats_metadata.create_all(db)
    with db.begin() as connection:
        serial = refresh(
            connection, FIRST_DAY, LAST_DAY, sources=payments_sources(cash_source()), now=NOW
        )
    expected = _rows(db)
    assert any(row[adoption.c.keys().index("unique_payers")] > 0 for row in expected)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    shared = refresh_all(db, now=NOW, cash=cash_source(), first=FIRST_DAY, last=LAST_DAY)
    assert shared == serial
    assert _rows(db) == expected
    assert _copies(db) == set()
    assert list(scratch.iterdir()) == []


def test_an_abandoned_copy_is_dropped_and_a_live_jobs_copy_kept(pg_engine: Engine) -> None:
    build_world(pg_engine)
    stats_metadata.create_all(pg_engine)
    dead, live = f"{SHARED_PREFIX}0000abcd", f"{SHARED_PREFIX}0000beef"
    with pg_engine.begin() as connection:
        for name in (dead, live):
            connection.execute(text(f"CREATE UNLOGGED TABLE {name} (x integer)"))
    with pg_engine.connect() as job:
        # Another refresh still running: its session holds the lock of its token.
        job.execute(text("SELECT pg_advisory_lock(:c, :t)"), {"c": LOCK_CLASS, "t": 0xBEEF})
        refresh_all(pg_engine, now=NOW, cash=cash_source(), first=FIRST_DAY, last=LAST_DAY)
        assert _copies(pg_engine) == {live}
        job.execute(text("SELECT pg_advisory_unlock(:c, :t)"), {"c": LOCK_CLASS, "t": 0xBEEF})
        job.commit()
    refresh_all(pg_engine, now=NOW, cash=cash_source(), first=FIRST_DAY, last=LAST_DAY)
    assert _copies(pg_engine) == set()


def test_a_failure_while_sharing_leaves_no_copy_and_no_lock(pg_engine: Engine) -> None:
    build_world(pg_engine)
    stats_metadata.create_all(pg_engine)
    # Cash observations whose query fails inside the database, while the counts are shared.
    broken = select(
        literal(1).label("market_id"),
        func.no_such_function().label("at"),
        literal(1).label("sales"),
        literal(1).label("value_dong"),
    )
    with pytest.raises(DBAPIError, match="no_such_function"):
        refresh_all(pg_engine, now=NOW, cash=broken, first=FIRST_DAY, last=LAST_DAY)
    assert _copies(pg_engine) == set()
    with pg_engine.connect() as connection:
        held = connection.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :c"),
            {"c": LOCK_CLASS},
        ).scalar_one()
    assert held == 0
    assert refresh_all(pg_engine, now=NOW, cash=cash_source(), first=FIRST_DAY, last=LAST_DAY)
