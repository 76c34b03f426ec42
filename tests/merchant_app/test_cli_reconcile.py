"""``marketpay reconcile``: exit 0 clean, 1 with exceptions (counted by class), 2 on bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from merchant_app.cli import main
from merchant_app.database import make_engine
from merchant_app.schema import create_all
from payments.faults import FaultRates
from payments.messages import FaultKind
from payments.stats.tables import adoption
from tests.payments.reconciliation.world import FIRST_DAY, build_month


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MARKETPAY_DATABASE_URL", db_url)
    monkeypatch.setenv("MARKETPAY_DATA_DIR", str(tmp_path))
    return tmp_path


def test_clean_day_exits_zero(db: Engine, env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_month(db, days=1, rates=FaultRates({}), settlement_dir=env)
    code = main(
        ["reconcile", "--date", FIRST_DAY.isoformat(), "--settlement-dir", str(env), "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["exceptions_by_kind"] == {}
    assert report["days"][0]["matched"] == 40
    assert {check["status"] for check in report["days"][0]["settlement"]} == {"ok"}


def test_faulty_range_exits_one_with_counts_by_class(
    db: Engine, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rates = FaultRates(
        {
            FaultKind.DUPLICATE_NOTIFICATION: 0.05,
            FaultKind.DELAYED_NOTIFICATION: 0.05,
            FaultKind.TIMEOUT_AFTER_COMMIT: 0.05,
        }
    )
    month = build_month(db, days=3, rates=rates)
    assert month.expected
    last = month.days[-1].isoformat()
    code = main(["reconcile", "--from", FIRST_DAY.isoformat(), "--to", last, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    expected: dict[str, int] = {}
    for kind, _ref in month.expected:
        expected[kind.value] = expected.get(kind.value, 0) + 1
    assert report["exceptions_by_kind"] == dict(sorted(expected.items()))
    assert main(["reconcile", "--from", FIRST_DAY.isoformat(), "--to", last]) == 1
    assert "exceptions by class:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["reconcile", "--date", "2026/05/01"], "expected YYYY-MM-DD"),
        (["reconcile"], "give --date D"),
        (["reconcile", "--date", "2026-05-01", "--from", "2026-05-01"], "not both"),
        (["reconcile", "--from", "2026-05-03", "--to", "2026-05-01"], "before the start"),
        (["reconcile", "--date", "2031-01-01"], "no payment records"),
    ],
)
def test_bad_input_exits_two_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    # Argument checking is the same on every database: one SQLite file is enough here.
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    create_all(make_engine(url))
    monkeypatch.setenv("MARKETPAY_DATABASE_URL", url)
    monkeypatch.setenv("MARKETPAY_DATA_DIR", str(tmp_path))
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_stats_option_runs_the_daily_job_and_stores_the_days_statistics(
    db: Engine, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_month(db, days=2, rates=FaultRates({}), settlement_dir=env)
    last = (FIRST_DAY + timedelta(days=1)).isoformat()
    argv = ["reconcile", "--from", FIRST_DAY.isoformat(), "--to", last, "--settlement-dir"]
    code = main([*argv, str(env), "--stats", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["exceptions_by_kind"] == {}
    with db.connect() as connection:
        stored = connection.execute(
            select(func.count(), func.sum(adoption.c.qr_count)).where(
                adoption.c.level == "market", adoption.c.period == "day"
            )
        ).one()
    # One market, two days: both days' rows, counting the 40 payments of each.
    assert report["statistics_rows"] > 0
    assert tuple(stored) == (2, 80)
    assert main([*argv, str(env), "--stats"]) == 0
    assert "adoption statistics refreshed:" in capsys.readouterr().out
