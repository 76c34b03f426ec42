"""The simulation engine: a scenario's market days, in simulated time, through the real code.

``Simulation(engine, scenario, ...).run()`` writes a run row, the banks, the directory, the
vendors and the buyers' funded accounts, then for each day: sets the simulated clock to each
market's opening (06:00 UTC+7 by default), lets the adoption model's new adopters open accounts
and register receiving accounts (their stickers' static QR), and pays the day's QR sales through
``payments`` (``payflow``); cash sales are written as observations. Only one market day's sales
are in memory at a time. The report is a deterministic JSON document (no wall-clock figures):
the same scenario and seed give byte-identical reports and database rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from ledger import Ledger
from payments.banks import Banks, FakeBank
from payments.clock import ManualClock
from payments.faults import FaultPlan, FaultRates, FaultyTransport
from payments.messages import FaultKind
from payments.simulation.calendar import local_time
from payments.simulation.payflow import (
    MAX_SLOT_MINUTES,
    SLOT_MINUTES,
    DayTally,
    Flow,
    pay_market_day,
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


def fault_plan(scenario: Scenario, seed: int, market_key: str, connectivity: float) -> FaultPlan:
    """The scenario's fault rates, with timeouts raised where the connection is poor."""
    faults = scenario.faults
    extra = (1.0 - connectivity) * faults.timeout_per_missing_connectivity
    rates = {
        FaultKind.TIMEOUT_BEFORE_COMMIT: min(1.0, faults.timeout_before_commit + extra),
        FaultKind.TIMEOUT_AFTER_COMMIT: min(1.0, faults.timeout_after_commit + extra),
        FaultKind.BANK_OFFLINE: faults.bank_offline,
        FaultKind.INSUFFICIENT_FUNDS: faults.insufficient_funds,
        FaultKind.AMOUNT_OVER_LIMIT: faults.amount_over_limit,
        FaultKind.DUPLICATE_NOTIFICATION: faults.duplicate_notification,
        FaultKind.DELAYED_NOTIFICATION: faults.delayed_notification,
    }
    digest = hashlib.sha256(f"{seed}:{market_key}:faults".encode()).digest()
    return FaultPlan(seed=int.from_bytes(digest[:8], "big"), default=FaultRates(rates))


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
        self.ledger = Ledger(engine, clock=self.clock.now)
        self.banks = Banks(engine, self.ledger)
        self.bank = FakeBank(self.ledger)
        self.totals = Totals()

    def _switch(self, model: MarketModel) -> Switch:
        plan = fault_plan(self.scenario, self.seed, model.key, model.market.connectivity)
        transport = FaultyTransport(self.bank, plan)
        return Switch(self.engine, self.ledger, self.banks, transport, self.clock)

    def _start_run(self) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(runs).values(
                    scenario=self.scenario.name,
                    seed=self.seed,
                    start_date=self.scenario.start,
                    days=self.days,
                    mode=self.mode.value,
                    scale=self.world.scale,
                    status="running",
                    started_at=self.clock.now(),
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def run(self, progress: Callable[[Progress], None] | None = None) -> dict[str, Any]:
        """Simulate every day; returns the report (also stored in ``sim_runs``)."""
        run_id = self._start_run()
        now = self.clock.now()
        connect_banks(self.banks, self.scenario, now)
        rows = build_directory(self.engine, self.world, run_id, now)
        payers = open_buyer_accounts(self.banks, self.ledger, self.world)
        flows = {
            model.key: Flow(
                self.engine,
                self.clock,
                self._switch(model),
                run_id,
                self.seed,
                self._camera_every(),
                self.slot_minutes,
            )
            for model in self.world.markets
        }
        for model in self.world.markets:
            self.totals.markets[model.key] = MarketTotals(
                model.key, model.market.name, model.vendors
            )
        qr_total = 0
        for offset in range(self.days):
            day = self.scenario.start + timedelta(days=offset)
            qr_total += self._day(day, rows, flows)
            if progress is not None:
                progress(Progress(offset + 1, self.days, qr_total))
        return self._finish(run_id, payers)

    def _camera_every(self) -> int | None:
        return self.scenario.payments.camera_every if self.mode is Mode.CAMERA else None

    def _day(self, day: date, rows: dict[str, MarketRows], flows: dict[str, Flow]) -> int:
        by_key = {model.key: model for model in self.world.markets}
        opening = local_time(day, self.scenario.payments.opening_hour)
        qr = 0
        for market_day in self.world.day(day):
            model = by_key[market_day.market_key]
            self.clock.set(opening)
            market_rows = rows[model.key]
            linked = adopt(
                self.engine,
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

    def _finish(self, run_id: int, payers: int) -> dict[str, Any]:
        with self.engine.connect() as connection:
            faults = connection.scalar(select(func.count()).select_from(fault_log))
        report = build_report(self, payers, int(faults or 0))
        text = report_json(report)
        with self.engine.begin() as connection:
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
        return report


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
