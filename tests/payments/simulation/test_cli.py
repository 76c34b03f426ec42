"""``marketpay simulate``: a run, its JSON report, reruns, and the calibration table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from merchant_app.cli import main
from payments.stats.tables import adoption


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> None:
    monkeypatch.setenv("MARKETPAY_DATABASE_URL", db_url)
    monkeypatch.setenv("MARKETPAY_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.usefixtures("env")
def test_simulate_json_then_rerun(db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "--days", "3", "--scale", "0.05", "--seed", "5", "--start", "2022-05-01"]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["days"] == 3
    assert report["start"] == "2022-05-01"
    assert report["markets"] == 19
    assert report["cash_sales"] > 0
    with db.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(adoption)) > 0  # dashboard rows
    assert main(args) == 2  # a second world in the same database is refused ...
    assert "already holds simulation run" in capsys.readouterr().err
    assert main([*args, "--if-empty"]) == 0  # ... unless asked to skip (make run)


def test_bad_mode_and_date_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--mode", "video"]) == 2
    assert main(["simulate", "--start", "25/04/2022"]) == 2
    err = capsys.readouterr().err
    assert "--mode 'video'" in err
    assert "--start '25/04/2022'" in err


def test_calibrate_prints_every_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--calibrate", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["rows"]) == 8
    assert result["max_point_error"] <= 0.10


@pytest.mark.usefixtures("env")
def test_a_day_without_qr_payments_still_finishes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--days", "1", "--scale", "0.01", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["qr_payments"] == 0
    assert report["cash_sales"] > 0
