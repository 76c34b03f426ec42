"""Calibration: simulated indicators against the published pilot figures, and a fit.

``targets.toml`` lists point targets (an indicator over some markets on a day or a window of
days), series (NRMSE over several points) and the free parameters (scenario key paths with
bounds). Indicators are computed from the pure model (``WorldModel``), which makes the same
choices as the engine with the same seed; the engine differs only where an injected fault makes
a QR payment fail for good (the buyer then pays cash), well under 1% of QR payments with the
default fault rates.

The fit is a coordinate search: golden-section on one parameter at a time within its bounds,
minimizing the sum of squared relative errors, with the random streams fixed (common random
numbers) so the objective is a deterministic function of the parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from payments.simulation.scenario import Scenario, ScenarioError, explain, read_toml
from payments.simulation.world import MarketModel, Observation, WorldModel

MAX_HORIZON_DAYS = 3650
FIT_SWEEPS = 2
FIT_STEPS_PER_PARAMETER = 14  # golden-section steps: the bracket shrinks to 0.618^14 ≈ 0.1%
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
PILOT = "pilot"


class Indicator(StrEnum):
    VENDORS_WITH_QR = "vendors_with_qr"
    VENDORS_WITH_QR_SHARE = "vendors_with_qr_share"
    QR_TRANSACTIONS = "qr_transactions"
    QR_SHARE_OF_TRANSACTIONS = "qr_share_of_transactions"
    ACTIVE_VENDOR_SHARE = "active_vendor_share"
    ACTIVE_SHARE_OF_ADOPTERS = "active_share_of_adopters"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Strict):
    key: str
    indicator: Indicator
    markets: list[str] | Literal["pilot"]
    day: int = Field(ge=0, le=MAX_HORIZON_DAYS)
    first_day: int | None = Field(None, ge=0, le=MAX_HORIZON_DAYS)  # window indicators
    value: float = Field(gt=0)
    source: str
    reading: str = ""


class Series(_Strict):
    key: str
    indicator: Indicator
    markets: list[str] | Literal["pilot"]
    points: list[tuple[int, float]] = Field(min_length=2)
    source: str


class Parameter(_Strict):
    name: str
    paths: list[str] = Field(min_length=1)
    low: float
    high: float


class Targets(_Strict):
    horizon_days: int = Field(ge=1, le=MAX_HORIZON_DAYS)
    target: list[Target]
    series: list[Series] = []
    parameter: list[Parameter] = []


def load_targets(reference: str | Path = "targets") -> Targets:
    label, table = read_toml(reference, what="targets")
    try:
        return Targets.model_validate(table)
    except ValidationError as exc:
        raise ScenarioError(explain(label, exc).replace("scenario file", "targets file")) from None


@dataclass(frozen=True)
class Row:
    key: str
    indicator: str
    target: float
    simulated: float
    error: float  # relative error for points, NRMSE for series
    kind: str  # "point" | "series"
    source: str


def market_keys(scenario: Scenario, markets: list[str] | str) -> list[str]:
    if markets == PILOT:
        return [key for key, market in scenario.markets() if market.pilot]
    return list(markets)


def _snapshot(model: MarketModel, day: int) -> Observation | None:
    last = None
    for observation in model.observations:
        if observation.day_number > day:
            break
        last = observation
    return last


def indicator_value(
    models: Sequence[MarketModel], indicator: Indicator, day: int, first_day: int | None
) -> float:
    vendors = sum(model.vendors for model in models)
    adopters = active = adopters_active = 0
    for model in models:
        snap = _snapshot(model, day)
        adopters += snap.adopters if snap else 0
        active += snap.active_vendors if snap else 0
    if indicator is Indicator.VENDORS_WITH_QR:
        return float(adopters)
    if indicator is Indicator.VENDORS_WITH_QR_SHARE:
        return adopters / vendors
    if indicator is Indicator.ACTIVE_VENDOR_SHARE:
        return active / vendors
    if indicator is Indicator.ACTIVE_SHARE_OF_ADOPTERS:
        # Only adopters can receive by QR, so every active vendor is an adopter.
        adopters_active = active
        return adopters_active / adopters if adopters else 0.0
    start = 0 if first_day is None else first_day
    window = [o for model in models for o in model.observations if start <= o.day_number <= day]
    qr = sum(o.qr_sales for o in window)
    if indicator is Indicator.QR_TRANSACTIONS:
        return float(qr)
    assert indicator is Indicator.QR_SHARE_OF_TRANSACTIONS, indicator
    total = qr + sum(o.cash_sales for o in window)
    return qr / total if total else 0.0


def involved_markets(scenario: Scenario, targets: Targets) -> set[str]:
    keys: set[str] = set()
    for target in targets.target:
        keys.update(market_keys(scenario, target.markets))
    for series in targets.series:
        keys.update(market_keys(scenario, series.markets))
    return keys


def evaluate(scenario: Scenario, targets: Targets, *, seed: int | None = None) -> list[Row]:
    """Simulate only the markets the targets concern, over the horizon, and compare."""
    world = WorldModel(scenario, seed=seed, only=involved_markets(scenario, targets))
    world.run(targets.horizon_days)
    by_key = {model.key: model for model in world.markets}
    rows = []
    for target in targets.target:
        models = [by_key[key] for key in market_keys(scenario, target.markets)]
        value = indicator_value(models, target.indicator, target.day, target.first_day)
        error = (value - target.value) / target.value
        rows.append(
            Row(target.key, target.indicator, target.value, value, error, "point", target.source)
        )
    for series in targets.series:
        models = [by_key[key] for key in market_keys(scenario, series.markets)]
        simulated = [indicator_value(models, series.indicator, d, None) for d, _v in series.points]
        observed = [v for _d, v in series.points]
        rows.append(
            Row(
                series.key,
                series.indicator,
                observed[-1],
                simulated[-1],
                nrmse(observed, simulated),
                "series",
                series.source,
            )
        )
    return rows


def nrmse(observed: Sequence[float], simulated: Sequence[float]) -> float:
    """Root mean squared error over the mean observed value (PaySim's validation measure)."""
    assert len(observed) == len(simulated)
    assert observed
    mean = sum(observed) / len(observed)
    rmse = math.sqrt(
        sum((s - o) ** 2 for o, s in zip(observed, simulated, strict=True)) / len(observed)
    )
    return rmse / mean if mean else rmse


def with_values(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """A copy of the scenario with each key path (``a.b.0.c``) set to its value."""
    table: Any = scenario.model_dump(mode="python")
    for path, value in values.items():
        node = table
        parts = path.split(".")
        try:
            for part in parts[:-1]:
                node = node[int(part)] if isinstance(node, list | tuple) else node[part]
            last = parts[-1]
            if isinstance(node, list):
                node[int(last)] = value
            elif last in node:
                node[last] = value
            else:
                raise KeyError(last)
        except (KeyError, IndexError, ValueError):
            raise ScenarioError(f"parameter path {path!r}: no such key in the scenario") from None
    try:
        return Scenario.model_validate(table)
    except ValidationError as exc:
        raise ScenarioError(explain(scenario.name, exc)) from None


def loss(rows: Sequence[Row]) -> float:
    return sum(row.error**2 for row in rows if row.kind == "point")


@dataclass(frozen=True)
class FitResult:
    values: dict[str, float]  # parameter name -> fitted value
    scenario: Scenario
    rows: list[Row]
    evaluations: int


def fit(
    scenario: Scenario,
    targets: Targets,
    *,
    progress: Callable[[str, float], None] | None = None,
) -> FitResult:
    """Coordinate golden-section search over the free parameters (see module doc)."""
    current = scenario
    evaluations = 0

    def objective(parameter: Parameter, value: float) -> float:
        nonlocal evaluations
        evaluations += 1
        trial = with_values(current, {path: value for path in parameter.paths})
        return loss(evaluate(trial, targets))

    fitted: dict[str, float] = {}
    for _sweep in range(FIT_SWEEPS):
        for parameter in targets.parameter:

            def along(value: float, parameter: Parameter = parameter) -> float:
                return objective(parameter, value)

            best = _golden(along, parameter.low, parameter.high)
            fitted[parameter.name] = best
            current = with_values(current, {path: best for path in parameter.paths})
            if progress is not None:
                progress(parameter.name, best)
    return FitResult(fitted, current, evaluate(current, targets), evaluations)


def _golden(f: Callable[[float], float], low: float, high: float) -> float:
    a, b = low, high
    c = b - GOLDEN * (b - a)
    d = a + GOLDEN * (b - a)
    fc, fd = f(c), f(d)
    for _step in range(FIT_STEPS_PER_PARAMETER):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - GOLDEN * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + GOLDEN * (b - a)
            fd = f(d)
    return round(c if fc <= fd else d, 4)
