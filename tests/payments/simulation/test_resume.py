"""A stopped simulation resumes to exactly the database and report of an uninterrupted run.

The run is stopped in process by a progress callback that raises after day k (the day's
transaction is committed by then); the SIGKILL variant, which stops it anywhere inside a day,
is tests/reliability/test_crash_simulation.py. Both backends (the ``db`` fixture).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from ledger import Ledger
from merchant_app.cli import main
from merchant_app.database import make_engine
from merchant_app.schema import create_all
from payments.clock import SystemClock
from payments.simulation.engine import Mode, Progress, Simulation, report_json
from payments.simulation.resume import ResumeMismatch
from payments.simulation.scenario import Scenario, load_scenario
from payments.simulation.tables import runs
from payments.tables import credits
from tests.payments.simulation.conftest import SMALL_MARKETS, busy, fingerprint

DAYS = 6
SCALE = 0.2


class Stop(Exception):
    """Raised by the progress callback: the simulation stops between two days."""


def stop_after(days_done: int) -> Callable[[Progress], None]:
    def progress(done: Progress) -> None:
        if done.day == days_done:
            raise Stop(f"stopped after day {done.day}")

    return progress


def fresh(db: Engine, tmp_path: Path, name: str) -> Engine:
    """Another empty database on the same backend (PostgreSQL: ``db``'s schema, emptied)."""
    if db.dialect.name == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / f'{name}.db'}")
    else:
        engine = db
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    create_all(engine)
    return engine


def use_up_ids(engine: Engine) -> None:
    """What a transaction killed mid-day leaves on PostgreSQL: its rows are gone but the ids it
    drew from the sequences stay drawn (SQLite numbers rows from MAX(rowid): nothing to do)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        sequences = connection.scalars(
            text(
                "SELECT pg_get_serial_sequence(quote_ident(table_name), column_name)"
                " FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND column_default LIKE 'nextval(%'"
            )
        ).all()
        assert sequences
        for sequence in sequences:
            connection.execute(text("SELECT setval(:s, nextval(:s) + 7)"), {"s": sequence})


def simulation(engine: Engine, scenario: Scenario, **options: object) -> Simulation:
    values: dict[str, object] = {
        "days": DAYS,
        "scale": SCALE,
        "only": SMALL_MARKETS,
        "seed": 21,
        **options,
    }
    return Simulation(engine, scenario, **values)  # type: ignore[arg-type]


def test_stopped_twice_then_resumed_equals_an_uninterrupted_run(
    db: Engine, tmp_path: Path, bundled: Scenario
) -> None:
    scenario = busy(bundled)
    whole = fresh(db, tmp_path, "whole")
    report = simulation(whole, scenario).run()
    expected = fingerprint(whole), report_json(report)
    assert report["faults_injected"] > 0  # the fault draws are part of what must repeat
    assert report["qr_retries"] > 0

    engine = fresh(db, tmp_path, "stopped")
    with pytest.raises(Stop):
        simulation(engine, scenario).run(stop_after(2))
    with engine.connect() as connection:
        run = connection.execute(select(runs)).one()
    assert (run.status, run.days_done) == ("running", 2)
    use_up_ids(engine)
    with pytest.raises(Stop):
        simulation(engine, scenario).run(stop_after(4), resume=True)
    resumed = simulation(engine, scenario).run(resume=True)

    assert (fingerprint(engine), report_json(resumed)) == expected
    assert Ledger(engine, clock=SystemClock().now).verify() == []
    # A finished run resumed again changes nothing and returns the same report.
    again = simulation(engine, scenario).run(resume=True)
    assert (fingerprint(engine), report_json(again)) == expected


def test_camera_mode_resumes_with_the_same_photographs(
    db: Engine, tmp_path: Path, bundled: Scenario
) -> None:
    scenario = busy(bundled).model_copy(
        update={"payments": bundled.payments.model_copy(update={"camera_every": 3})}
    )
    options = {"days": 4, "only": ["dai-tu"], "mode": Mode.CAMERA}
    whole = fresh(db, tmp_path, "whole")
    report = simulation(whole, scenario, **options).run()
    assert report["camera_scans"] > 0
    expected = fingerprint(whole), report_json(report)
    engine = fresh(db, tmp_path, "stopped")
    with pytest.raises(Stop):
        simulation(engine, scenario, **options).run(stop_after(2))
    resumed = simulation(engine, scenario, **options).run(resume=True)
    assert (fingerprint(engine), report_json(resumed)) == expected


def test_resume_with_other_options_is_refused_and_changes_nothing(
    db: Engine, bundled: Scenario
) -> None:
    with pytest.raises(Stop):
        simulation(db, bundled, days=3).run(stop_after(1))
    before = fingerprint(db)
    for other in ({"seed": 22}, {"scale": 0.3}, {"days": 4}, {"only": ["dai-tu"]}):
        with pytest.raises(ResumeMismatch, match="cannot resume simulation run 1"):
            simulation(db, bundled, **{"days": 3, **other}).run(resume=True)
    edited = busy(bundled)  # same name, other contents
    with pytest.raises(ResumeMismatch, match="scenario_sha256"):
        simulation(db, edited, days=3).run(resume=True)
    assert fingerprint(db) == before


def test_resume_on_an_empty_database_starts_the_run(db: Engine, bundled: Scenario) -> None:
    report = simulation(db, bundled, days=2).run(resume=True)
    assert report["days"] == 2
    with db.connect() as connection:
        assert connection.execute(select(runs.c.status, runs.c.days_done)).one() == ("done", 2)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> None:
    monkeypatch.setenv("MARKETPAY_DATABASE_URL", db_url)
    monkeypatch.setenv("MARKETPAY_DATA_DIR", str(tmp_path / "data"))


CLI_ARGS = ["simulate", "--days", "3", "--scale", "0.05", "--seed", "5", "--start", "2022-05-01"]


def stop_cli_run_after_day_one(db: Engine) -> None:
    """The run CLI_ARGS asks for, killed (in effect) after its first day."""
    stopped = Simulation(
        db, load_scenario("thai-nguyen"), seed=5, days=3, start=date(2022, 5, 1), scale=0.05
    )
    with pytest.raises(Stop):
        stopped.run(stop_after(1))


@pytest.mark.usefixtures("env")
def test_cli_refuses_a_stopped_run_without_resume_and_resumes_with_it(
    db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    args = CLI_ARGS
    stop_cli_run_after_day_one(db)
    capsys.readouterr()
    assert main(args) == 2
    assert "stopped after day 1 of 3; go on with --resume" in capsys.readouterr().err
    assert main([*args[:-4], "--seed", "6", "--start", "2022-05-01", "--resume"]) == 2
    assert "seed 6 (run 1 has 5)" in capsys.readouterr().err
    assert main([*args, "--resume", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    with db.connect() as connection:
        stored = connection.execute(select(runs.c.status, runs.c.report_json)).one()
    assert stored.status == "done"
    assert json.loads(stored.report_json) == {k: v for k, v in report.items() if k != "elapsed_s"}
    assert report["days"] == 3


@pytest.mark.usefixtures("env")
def test_make_run_carries_a_killed_run_on_and_leaves_a_finished_one(
    db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make run` passes --if-empty --resume: a stopped run goes on to its end, once."""
    args = CLI_ARGS
    stop_cli_run_after_day_one(db)
    capsys.readouterr()
    assert main([*args, "--if-empty", "--resume"]) == 0
    with db.connect() as connection:
        assert connection.execute(select(runs.c.status, runs.c.days_done)).one() == ("done", 3)
        credits_after = connection.execute(select(func.count()).select_from(credits)).scalar()
    capsys.readouterr()
    assert main([*args, "--if-empty", "--resume"]) == 0
    assert "not simulating again" in capsys.readouterr().err
    with db.connect() as connection:
        assert connection.execute(select(func.count()).select_from(credits)).scalar() == (
            credits_after
        )
