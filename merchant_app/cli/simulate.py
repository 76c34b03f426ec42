"""``marketpay simulate``: run a scenario's market days through the real payment code.

``--calibrate`` compares the scenario with its published targets instead (``--fit`` also
searches the free parameters). ``--if-empty`` makes a rerun harmless: when the database already
holds a simulation, it says so and exits 0. ``--resume`` goes on with the run a killed
``simulate`` left (each day is committed whole); its options must be the stopped run's (else
exit 2), and on an empty database it starts the run. ``make run`` passes both: a finished run is
left alone, a killed one is carried on to its end.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine, func, select

from merchant_app.cli.errors import UsageProblem
from merchant_app.database import check_database, make_engine
from merchant_app.settings import ensure_data_dir, load_settings
from payments.errors import PaymentError
from payments.simulation import calibration
from payments.simulation.engine import Mode, Simulation
from payments.simulation.engine import Progress as SimProgress
from payments.simulation.observations import cash_source
from payments.simulation.scenario import Scenario, load_scenario
from payments.simulation.tables import runs
from payments.stats.refresh import StatsInputError
from payments.stats.report import refresh_all
from payments.tables import districts


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)


def simulate(
    scenario: str = typer.Option("thai-nguyen", help="A bundled scenario name or a TOML path."),
    days: int | None = typer.Option(None, help="Days to simulate (default: the scenario's)."),
    start: str | None = typer.Option(None, help="First day, YYYY-MM-DD (default: scenario's)."),
    seed: int | None = typer.Option(None, help="Random seed (default: the scenario's)."),
    mode: str = typer.Option("fast", help="fast: payloads only; camera: photos + scan."),
    scale: float = typer.Option(1.0, help="Multiply vendors, buyers and arrivals by this."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    calibrate: bool = typer.Option(False, help="Compare with the published targets instead."),
    fit: bool = typer.Option(False, help="With --calibrate: search the free parameters."),
    if_empty: bool = typer.Option(False, help="Do nothing if the database holds a simulation."),
    resume: bool = typer.Option(
        False, help="Go on with the stopped run in the database (same options), or start it."
    ),
) -> int:
    """Simulate market days: adoption, purchases, QR payments through switch and ledger."""
    try:
        world = load_scenario(scenario)
        first = _date(start)
        if calibrate or fit:
            return _calibrate(world, seed, fit=fit, as_json=as_json)
        if mode not in [m.value for m in Mode]:
            raise UsageProblem(f"--mode {mode!r}: use fast or camera")
        options = _Options(days, first, seed, Mode(mode), scale)
        return _simulate(world, options, as_json=as_json, if_empty=if_empty, resume=resume)
    except PaymentError as exc:
        raise UsageProblem(str(exc)) from exc


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageProblem(f"--start {text!r}: expected YYYY-MM-DD") from exc


@dataclass(frozen=True)
class _Options:
    days: int | None
    first: date | None
    seed: int | None
    mode: Mode
    scale: float


def _existing_run(engine: Engine) -> tuple[int, str] | None:
    """The database's first run (id, how far it got), (-1, ...) for a directory written by
    something else, or None when empty."""
    with engine.connect() as connection:
        row = connection.execute(
            select(runs.c.id, runs.c.status, runs.c.days_done, runs.c.days)
            .order_by(runs.c.id)
            .limit(1)
        ).first()
        if row is None and connection.scalar(select(func.count()).select_from(districts)):
            return -1, "a directory"  # not written by a simulation: do not mix worlds
    if row is None:
        return None
    if row.status == "running":
        return row.id, f"simulation run {row.id}, stopped after day {row.days_done} of {row.days}"
    return row.id, f"simulation run {row.id}"


def _stopped(existing: tuple[int, str]) -> bool:
    """Whether ``existing`` (from ``_existing_run``) is a simulation run killed before its end."""
    return existing[0] >= 0 and "stopped" in existing[1]


def _refusal(existing: tuple[int, str] | None, resume: bool) -> str | None:
    """Why this database cannot take the run asked for, or None."""
    if existing is None:
        return None
    run_id, what = existing
    if run_id < 0:
        return f"the database already holds {what}; use an empty database"
    if resume:
        return None
    if "stopped" in what:
        return f"the database already holds {what}; go on with --resume (same options)"
    return f"the database already holds {what}; use an empty database"


def _simulate(
    world: Scenario, options: _Options, *, as_json: bool, if_empty: bool, resume: bool
) -> int:
    settings = load_settings()
    ensure_data_dir(settings)
    engine = make_engine(settings.effective_database_url)
    console = Console(stderr=True)
    try:
        check_database(engine)
        existing = _existing_run(engine)
        refusal = _refusal(existing, resume)
        if existing is not None and if_empty and (refusal is not None or not _stopped(existing)):
            # `make run` (--if-empty --resume): a finished run is served as it is, a killed
            # one is carried on to its end.
            console.print(f"The database already holds {existing[1]}; not simulating again.")
            return 0
        if refusal is not None:
            raise UsageProblem(refusal)
        simulation = Simulation(
            engine,
            world,
            seed=options.seed,
            days=options.days,
            start=options.first,
            mode=options.mode,
            scale=options.scale,
        )
        began = time.monotonic()
        report = _with_progress(simulation, console, as_json, resume)
        elapsed_s = time.monotonic() - began
        try:
            refresh_all(engine, now=simulation.clock.now(), cash=cash_source())
        except StatsInputError:
            console.print("No QR payment yet: no adoption statistics to summarize.")
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps({**report, "elapsed_s": round(elapsed_s, 3)}, ensure_ascii=False))
    else:
        _summary(console, report, elapsed_s)
    return 0


def _with_progress(
    simulation: Simulation, console: Console, quiet: bool, resume: bool
) -> dict[str, Any]:
    columns = (
        TextColumn("[bold]simulating[/bold] day {task.completed:.0f}/{task.total:.0f}"),
        BarColumn(),
        TextColumn("{task.fields[qr]} QR payments, {task.fields[rate]:.0f}/s"),
        TimeElapsedColumn(),
    )
    began = time.monotonic()
    with Progress(*columns, console=console, disable=quiet) as bar:
        task = bar.add_task("days", total=simulation.days, qr=0, rate=0.0)

        def tick(done: SimProgress) -> None:
            rate = done.qr_payments / max(time.monotonic() - began, 1e-9)
            bar.update(task, completed=done.day, qr=done.qr_payments, rate=rate)

        return simulation.run(tick, resume=resume)


def _summary(console: Console, report: dict[str, Any], elapsed_s: float) -> None:
    table = Table(title=f"Simulation {report['scenario']} (seed {report['seed']})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("markets", report["markets"]),
        ("vendors", report["vendors"]),
        ("adopters (vendors with QR)", report["adopters"]),
        ("QR payments", report["qr_payments"]),
        ("QR value (đồng)", report["qr_value_dong"]),
        ("QR payments failed (paid cash)", report["qr_failed"]),
        ("cash sales", report["cash_sales"]),
        ("faults injected", report["faults_injected"]),
        ("days", report["days"]),
        ("time (s)", f"{elapsed_s:.1f}"),
        ("QR payments/s", f"{report['qr_payments'] / max(elapsed_s, 1e-9):.0f}"),
    ]
    for name, value in rows:
        table.add_row(
            name, f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)
        )
    console.print(table)


def _calibrate(world: Scenario, seed: int | None, *, fit: bool, as_json: bool) -> int:
    targets = calibration.load_targets()
    console = Console(stderr=True)
    if fit:
        result = calibration.fit(
            world, targets, progress=lambda name, value: console.print(f"fitted {name} = {value}")
        )
        rows = result.rows
        fitted: dict[str, float] = result.values
    else:
        rows = calibration.evaluate(world, targets, seed=seed)
        fitted = {}
    worst = max(abs(row.error) for row in rows if row.kind == "point")
    if as_json:
        items = [vars(row) for row in rows]
        typer.echo(json.dumps({"rows": items, "fitted": fitted, "max_point_error": worst}))
        return 0
    table = Table(title=f"Calibration of {world.name} against published figures")
    table.add_column("target", overflow="fold")
    for column in ("published", "simulated", "error"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("source", overflow="fold")
    for row in rows:
        label = "NRMSE " if row.kind == "series" else ""
        table.add_row(
            row.key,
            f"{row.target:g}",
            f"{row.simulated:.4g}",
            f"{label}{row.error:+.1%}",
            row.source,
        )
    console.print(table)
    console.print(f"largest relative error of a published figure: {worst:.1%}")
    for name, value in fitted.items():
        console.print(f"fitted: {name} = {value}")
    return 0
