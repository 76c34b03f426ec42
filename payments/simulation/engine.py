"""The simulation engine: a scenario's market days, in simulated time, through the real code.

``Simulation(engine, scenario, ...).run()`` writes a run row, the banks, the directory, the
vendors and the buyers' funded accounts, then for each day: sets the simulated clock to each
market's opening (06:00 UTC+7 by default), lets the adoption model's new adopters open accounts
and register receiving accounts (their stickers' static QR), and pays the day's QR sales through
``payments`` (``payflow``); cash sales are written as observations. Only one market day's sales
are in memory at a time. The report is a deterministic JSON document (no wall-clock figures):
the same scenario and seed give byte-identical reports and database rows.

Crash safety: the set-up and then each simulated day are one database transaction each
(``onetx.DayTransaction``), committed together with the run row's ``days_done`` and running
totals. A killed run leaves whole days only; ``run(resume=True)`` goes on after the last one.
Every random draw of a day comes from streams keyed by (seed, market, purpose, day), the fault
injection included, so a resumed run writes exactly the rows and report of an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Connection, Engine, func, insert, select, update

from ledger import Ledger
from payments.banks import Banks, FakeBank
from payments.clock import ManualClock
from payments.simulation.calendar import local_time
from payments.simulation.daily_faults import DailyFaults
from payments.simulation.onetx import DayTransaction
from payments.simulation.payflow import (
    MAX_SLOT_MINUTES,
    SLOT_MINUTES,
    DayTally,
    Flow,
    pay_market_day,
)
from payments.simulation.resume import (
    MARKET_KEYS_SEPARATOR,
    RunOptions,
    StoredRun,
    clock_from,
    latest_run,
    load_rows,
    realign_sequences,
    scenario_digest,
)
from payments.simulation.scenario import Scenario, ScenarioError
from payments.simulation.setup import (
    MarketRows,
    adopt,
    build_directory,
    connect_banks,
    open_buyer_accounts,
)
from payments.simulation.tables import runs
from payments.simulation.world import MarketModel, WorldModel
from payments.switch import Switch
from payments.tables import fault_log

MAX_DAYS = 3650


class Mode(StrEnum):
    FAST = "fast"  # payloads only
    CAMERA = "camera"  # every Nth QR payment through a photographed sticker and qr.scan


@dataclass
class MarketTotals:
    key: str
    name: str
    vendors: int
    adopters: int = 0
    receiving_accounts: int = 0
    market_days: int = 0
    qr_payments: int = 0
    qr_value_dong: int = 0
    cash_sales: int = 0
    cash_value_dong: int = 0


@dataclass
class Progress:
    day: int  # days done
    days: int
    qr_payments: int


@dataclass
class Totals:
    qr_retries: int = 0
    qr_failed: int = 0
    inquiries_failed: int = 0
    dynamic_requests: int = 0
    camera_scans: int = 0
    camera_misreads: int = 0
    markets: dict[str, MarketTotals] = field(default_factory=dict)


class Simulation:
    def __init__(
        self,
        engine: Engine,
        scenario: Scenario,
        *,
        seed: int | None = None,
        days: int | None = None,
        start: date | None = None,
        mode: Mode = Mode.FAST,
        scale: float = 1.0,
        only: list[str] | None = None,
        slot_minutes: int = SLOT_MINUTES,
    ) -> None:
        if start is not None:
            scenario = scenario.model_copy(update={"start": start})
        self.scenario = scenario
        self.days = scenario.days if days is None else days
        if not 1 <= self.days <= MAX_DAYS:
            raise ScenarioError(f"days {self.days}: must be 1..{MAX_DAYS}")
        if not 1 <= slot_minutes <= MAX_SLOT_MINUTES:
            raise ScenarioError(f"slot_minutes {slot_minutes}: must be 1..{MAX_SLOT_MINUTES}")
        self.slot_minutes = slot_minutes
        self.world = WorldModel(scenario, seed=seed, scale=scale, only=only)
        self.seed = self.world.seed
        self.mode = mode
        self.engine = engine
        self.clock = ManualClock(local_time(scenario.start, 0))
        # Everything the payment code writes goes through the open day's transaction.
        self._day_tx = DayTransaction(engine)
        written = cast(Engine, self._day_tx)  # duck-typed: begin(), connect(), dialect, url
        self._written = written
        self.ledger = Ledger(written, clock=self.clock.now)
        self.banks = Banks(written, self.ledger)
        self.bank = FakeBank(self.ledger)
        self.totals = Totals()
        self.payers = 0
        self.qr_total = 0
        self._camera_counters: dict[str, int] = {}
        self._faults: dict[str, DailyFaults] = {}
        self._report_done: dict[str, Any] | None = None
        self._ran = False

    def options(self) -> RunOptions:
        return RunOptions(
            scenario=self.scenario.name,
            scenario_sha256=scenario_digest(self.scenario),
            seed=self.seed,
            start_date=self.scenario.start,
            days=self.days,
            mode=self.mode.value,
            scale=self.world.scale,
            slot_minutes=self.slot_minutes,
            markets=MARKET_KEYS_SEPARATOR.join(model.key for model in self.world.markets),
        )

    def _start_run(self, connection: Connection) -> int:
        result = connection.execute(
            insert(runs).values(
                **self.options().row(),
                status="running",
                started_at=self.clock.now(),
                days_done=0,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def run(
        self, progress: Callable[[Progress], None] | None = None, *, resume: bool = False
    ) -> dict[str, Any]:
        """Simulate every day; returns the report (also stored in ``sim_runs``).

        ``resume``: if the database holds a run with the same options, go on after its last
        committed day (a finished run's report is returned as it is); a run with other options
        raises ``ResumeMismatch``; an empty database starts a new run. A Simulation runs once
        (after an error its in-memory totals are past the database's): resume with a new one."""
        assert not self._ran, "a Simulation runs once; resume with a new one"
        self._ran = True
        stored = None
        if resume:
            with self.engine.begin() as connection:
                stored = latest_run(connection, self.options())
                realign_sequences(connection)
        if stored is not None and stored.report is not None:
            assert stored.progress is not None
            self.clock.set(clock_from(stored.progress))  # where the finished run left it
            return stored.report  # finished already: nothing to redo
        try:
            run_id, rows, days_done = self._set_up() if stored is None else self._restore(stored)
            flows = self._flows(run_id)
            for offset in range(days_done, self.days):
                self._commit_day(run_id, offset, rows, flows)
                if progress is not None:
                    progress(Progress(offset + 1, self.days, self.qr_total))
        finally:
            self._day_tx.abandon()  # after an error: the unfinished day leaves nothing
        assert self._report_done is not None, "the last day finishes the run"
        return self._report_done

    def _set_up(self) -> tuple[int, dict[str, MarketRows], int]:
        """The run row, banks, directory and buyers' accounts: one transaction."""
        self._day_tx.open()
        with self._written.begin() as connection:
            run_id = self._start_run(connection)
        now = self.clock.now()
        connect_banks(self.banks, self.scenario, now)
        rows = build_directory(self._written, self.world, run_id, now)
        self.payers = open_buyer_accounts(self.banks, self.ledger, self.world)
        for model in self.world.markets:
            self.totals.markets[model.key] = MarketTotals(
                model.key, model.market.name, model.vendors
            )
        self._camera_counters = {model.key: 0 for model in self.world.markets}
        self._save_progress(run_id, 0)
        self._day_tx.commit()
        return run_id, rows, 0

    def _restore(self, stored: StoredRun) -> tuple[int, dict[str, MarketRows], int]:
        """Back to the end of the last committed day: totals and clock from the run row,
        directory ids from the database, the world model replayed (it is pure)."""
        assert stored.progress is not None, f"run {stored.run_id} has no progress"
        progress = stored.progress
        self.payers = int(progress["payers"])
        self.qr_total = int(progress["qr_total"])
        self.totals = totals_from(progress["totals"], [m.key for m in self.world.markets])
        self._camera_counters = {k: int(v) for k, v in progress["camera_counters"].items()}
        self.clock.set(clock_from(progress))
        with self.engine.connect() as connection:
            rows = load_rows(connection, stored.run_id)
        for offset in range(stored.days_done):
            self.world.day(self.scenario.start + timedelta(days=offset))
        return stored.run_id, rows, stored.days_done

    def _flows(self, run_id: int) -> dict[str, Flow]:
        flows = {}
        for model in self.world.markets:
            faults = DailyFaults(self.bank, self.scenario, self.seed, model)
            self._faults[model.key] = faults
            switch = Switch(self._written, self.ledger, self.banks, faults, self.clock)
            flows[model.key] = Flow(
                self._written,
                self.clock,
                switch,
                run_id,
                self.seed,
                self._camera_every(),
                self.slot_minutes,
                camera_counter=self._camera_counters[model.key],
            )
        return flows

    def _commit_day(
        self, run_id: int, offset: int, rows: dict[str, MarketRows], flows: dict[str, Flow]
    ) -> None:
        """One simulated day and the run row's progress, in one transaction; the last day
        also finishes the run (status ``done`` and the report)."""
        self._day_tx.open()
        day = self.scenario.start + timedelta(days=offset)
        self.qr_total += self._day(day, rows, flows)
        for key, flow in flows.items():
            self._camera_counters[key] = flow.camera_counter
        self._save_progress(run_id, offset + 1)
        if offset + 1 == self.days:
            self._finish(run_id)
        self._day_tx.commit()

    def _save_progress(self, run_id: int, days_done: int) -> None:
        progress = {
            "payers": self.payers,
            "qr_total": self.qr_total,
            "clock": self.clock.now().isoformat(),
            "camera_counters": self._camera_counters,
            "totals": asdict(self.totals),
        }
        with self._written.begin() as connection:
            connection.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(days_done=days_done, progress_json=report_json(progress))
            )

    def _camera_every(self) -> int | None:
        return self.scenario.payments.camera_every if self.mode is Mode.CAMERA else None

    def _day(self, day: date, rows: dict[str, MarketRows], flows: dict[str, Flow]) -> int:
        by_key = {model.key: model for model in self.world.markets}
        opening = local_time(day, self.scenario.payments.opening_hour)
        qr = 0
        for market_day in self.world.day(day):
            model = by_key[market_day.market_key]
            self.clock.set(opening)
            self._faults[model.key].start_day(day)
            market_rows = rows[model.key]
            linked = adopt(
                self._written,
                self.banks,
                self.ledger,
                self.world,
                model,
                market_rows,
                market_day.new_adopters,
                opening,
                self.bank,
            )
            tally = pay_market_day(flows[model.key], model, market_rows, market_day, opening)
            self._add(model, len(market_day.new_adopters), linked, tally)
            qr += tally.qr_payments
        return qr

    def _add(self, model: MarketModel, adopters: int, linked: int, tally: DayTally) -> None:
        market = self.totals.markets[model.key]
        market.adopters += adopters
        market.receiving_accounts += linked
        market.market_days += 1
        market.qr_payments += tally.qr_payments
        market.qr_value_dong += tally.qr_value_dong
        market.cash_sales += tally.cash_sales
        market.cash_value_dong += tally.cash_value_dong
        totals = self.totals
        totals.qr_retries += tally.qr_retries
        totals.qr_failed += tally.qr_failed
        totals.inquiries_failed += tally.inquiries_failed
        totals.dynamic_requests += tally.dynamic_requests
        totals.camera_scans += tally.camera_scans
        totals.camera_misreads += tally.camera_misreads

    def _finish(self, run_id: int) -> None:
        with self._written.connect() as connection:
            faults = connection.scalar(select(func.count()).select_from(fault_log))
        report = build_report(self, self.payers, int(faults or 0))
        text = report_json(report)
        with self._written.begin() as connection:
            connection.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    status="done",
                    report_json=text,
                    report_sha256=hashlib.sha256(text.encode()).hexdigest(),
                    finished_at=self.clock.now(),
                )
            )
        self._report_done = report


def totals_from(stored: dict[str, Any], market_keys: list[str]) -> Totals:
    """``Totals`` from its ``asdict`` form in the run row's progress (stored with sorted keys;
    the markets go back in scenario order, the report's order)."""
    markets = {key: MarketTotals(**stored["markets"][key]) for key in market_keys}
    return Totals(**{**stored, "markets": markets})


def build_report(simulation: Simulation, payers: int, faults: int) -> dict[str, Any]:
    totals = simulation.totals
    markets = list(totals.markets.values())
    return {
        "scenario": simulation.scenario.name,
        "seed": simulation.seed,
        "start": simulation.scenario.start.isoformat(),
        "days": simulation.days,
        "mode": simulation.mode.value,
        "scale": simulation.world.scale,
        "markets": len(markets),
        "vendors": sum(m.vendors for m in markets),
        "adopters": sum(m.adopters for m in markets),
        "receiving_accounts": sum(m.receiving_accounts for m in markets),
        "qr_capable_buyers": payers,
        "qr_payments": sum(m.qr_payments for m in markets),
        "qr_value_dong": sum(m.qr_value_dong for m in markets),
        "qr_retries": totals.qr_retries,
        "qr_failed": totals.qr_failed,
        "inquiries_failed": totals.inquiries_failed,
        "dynamic_requests": totals.dynamic_requests,
        "camera_scans": totals.camera_scans,
        "camera_misreads": totals.camera_misreads,
        "cash_sales": sum(m.cash_sales for m in markets),
        "cash_value_dong": sum(m.cash_value_dong for m in markets),
        "faults_injected": faults,
        "per_market": [vars(m) for m in markets],
    }


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
