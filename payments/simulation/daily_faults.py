"""The simulation's bank faults, drawn afresh for each market day.

A market's switch talks to the fake banks through ``DailyFaults``: the scenario's fault rates
(timeouts raised where the connection is poor) from a generator seeded by (seed, market, day).
One generator for the whole run would make a day's faults depend on every message of the days
before it, and a resumed run (engine.py) could not draw the same faults as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
from datetime import date

from payments.banks import FakeBank
from payments.faults import FaultPlan, FaultRates, FaultyTransport
from payments.messages import BankMessage, BankReply, FaultKind
from payments.simulation.scenario import Scenario
from payments.simulation.world import MarketModel


def fault_plan(
    scenario: Scenario, seed: int, market_key: str, connectivity: float, day: date
) -> FaultPlan:
    """The scenario's fault rates, with timeouts raised where the connection is poor; seeded
    per market day, so a day's faults do not depend on the days before it (resume)."""
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
    digest = hashlib.sha256(f"{seed}:{market_key}:faults:{day.isoformat()}".encode()).digest()
    return FaultPlan(seed=int.from_bytes(digest[:8], "big"), default=FaultRates(rates))


class DailyFaults:
    """A market's bank transport: the scenario's faults around the fake banks, drawn from a
    generator started afresh each market day (``start_day``)."""

    def __init__(self, bank: FakeBank, scenario: Scenario, seed: int, model: MarketModel) -> None:
        self._bank = bank
        self._scenario = scenario
        self._seed = seed
        self._model = model
        self._day: FaultyTransport | None = None

    def start_day(self, day: date) -> None:
        model = self._model
        plan = fault_plan(self._scenario, self._seed, model.key, model.market.connectivity, day)
        self._day = FaultyTransport(self._bank, plan)

    def exchange(self, message: BankMessage) -> BankReply:
        assert self._day is not None, "start_day first"
        return self._day.exchange(message)
