"""Bass diffusion fits of each market's adopter series, and when it will reach 80% / 100%.

Pure: series in, fits out. The Bass model's cumulative adopters are
``N(t) = m · (1 − e^{−(p+q)t}) / (1 + (q/p) · e^{−(p+q)t})`` with t in days since the series
began. For fixed (p, q) the best m is a one-variable least-squares solution (closed form), so
only (p, q) is searched: a coarse grid, then Nelder–Mead. No numpy/scipy needed for three
parameters and a few hundred points; the tests check that known curves are recovered.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

MIN_FIT_POINTS = 4  # fewer points than parameters + 1 cannot say anything about a curve
P_BOUNDS_PER_DAY = (1e-6, 0.5)
Q_BOUNDS_PER_DAY = (0.0, 2.0)
NELDER_MEAD_MAX_ITERATIONS = 400
FULL_ADOPTION_SLACK_VENDORS = 0.5  # "100%" means the curve passes the last vendor minus a half
LAGGING_SHARE = 0.8  # a market is lagging if it will not reach 80% by the target date


class ForecastError(ValueError):
    """A series that cannot be fitted (names the problem)."""


@dataclass(frozen=True)
class BassFit:
    p: float  # innovation, per day
    q: float  # imitation, per day
    m: float  # eventual adopters (vendors)
    rmse: float  # root-mean-square error of the fit, in vendors
    nrmse: float  # rmse / mean observed adopters (0 when nothing was observed)
    points: int

    def adopters_at(self, day: float) -> float:
        return bass_cumulative(day, self.p, self.q, self.m)


@dataclass(frozen=True)
class MarketForecast:
    market_id: int
    name: str
    vendors: int
    adopters_now: int
    fit: BassFit | None
    date_80: date | None  # None: not reached at the fitted pace (or no fit)
    date_100: date | None
    lagging: bool
    reason: str


def bass_cumulative(day: float, p: float, q: float, m: float) -> float:
    decay = math.exp(-(p + q) * day)
    return m * (1.0 - decay) / (1.0 + (q / p) * decay)


def _best_m(
    days: Sequence[float], adopters: Sequence[float], p: float, q: float, cap: float
) -> float:
    shape = [bass_cumulative(day, p, q, 1.0) for day in days]
    denominator = sum(value * value for value in shape)
    if denominator == 0:
        return cap
    unconstrained = sum(n * f for n, f in zip(adopters, shape, strict=True)) / denominator
    # Never fewer adopters than already seen, never more vendors than the market has.
    return min(max(unconstrained, max(adopters)), cap)


def _sse(days: Sequence[float], adopters: Sequence[float], p: float, q: float, m: float) -> float:
    return sum(
        (bass_cumulative(day, p, q, m) - n) ** 2 for day, n in zip(days, adopters, strict=True)
    )


def _clamp(p: float, q: float) -> tuple[float, float]:
    return (
        min(max(p, P_BOUNDS_PER_DAY[0]), P_BOUNDS_PER_DAY[1]),
        min(max(q, Q_BOUNDS_PER_DAY[0]), Q_BOUNDS_PER_DAY[1]),
    )


def _nelder_mead(
    objective: Callable[[tuple[float, float]], float], start: tuple[float, float]
) -> tuple[float, float]:
    """Minimize over (log p, q): a plain two-dimensional Nelder–Mead."""
    simplex = [start, (start[0] + 0.5, start[1]), (start[0], start[1] + 0.05)]
    scores = [objective(point) for point in simplex]
    for _ in range(NELDER_MEAD_MAX_ITERATIONS):
        order = sorted(range(3), key=lambda index: scores[index])
        simplex = [simplex[index] for index in order]
        scores = [scores[index] for index in order]
        if abs(scores[2] - scores[0]) <= 1e-12 * (1.0 + abs(scores[0])):
            break
        centroid = ((simplex[0][0] + simplex[1][0]) / 2, (simplex[0][1] + simplex[1][1]) / 2)
        worst = simplex[2]

        def toward(
            factor: float,
            worst: tuple[float, float] = worst,
            centroid: tuple[float, float] = centroid,
        ) -> tuple[float, float]:
            return (
                centroid[0] + factor * (worst[0] - centroid[0]),
                centroid[1] + factor * (worst[1] - centroid[1]),
            )

        reflected = toward(-1.0)
        score = objective(reflected)
        if score < scores[0]:
            expanded = toward(-2.0)
            expanded_score = objective(expanded)
            simplex[2], scores[2] = (
                (expanded, expanded_score) if expanded_score < score else (reflected, score)
            )
        elif score < scores[1]:
            simplex[2], scores[2] = reflected, score
        else:
            contracted = toward(0.5)
            contracted_score = objective(contracted)
            if contracted_score < scores[2]:
                simplex[2], scores[2] = contracted, contracted_score
            else:
                best = simplex[0]
                simplex = [best] + [((best[0] + x) / 2, (best[1] + y) / 2) for x, y in simplex[1:]]
                scores = [objective(point) for point in simplex]
    return min(zip(scores, simplex, strict=True))[1]


def fit_bass(days: Sequence[float], adopters: Sequence[float], *, population: int) -> BassFit:
    """Least-squares Bass fit; ``population`` (vendors in the market) caps m."""
    if len(days) != len(adopters):
        raise ForecastError(f"{len(days)} days but {len(adopters)} adopter counts")
    if len(days) < MIN_FIT_POINTS:
        raise ForecastError(f"{len(days)} points; a fit needs at least {MIN_FIT_POINTS}")
    if population <= 0:
        raise ForecastError(f"population {population}: a market needs at least one vendor")
    if any(n < 0 or n > population for n in adopters):
        raise ForecastError(f"adopter counts must be within 0..{population}")

    def objective(point: tuple[float, float]) -> float:
        p, q = _clamp(math.exp(point[0]), point[1])
        return _sse(days, adopters, p, q, _best_m(days, adopters, p, q, population))

    grid = [
        (math.log(p), q)
        for p in (1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)
        for q in (0.0, 0.02, 0.05, 0.1, 0.2, 0.4)
    ]
    start = min(grid, key=objective)
    best = _nelder_mead(objective, start)
    p, q = _clamp(math.exp(best[0]), best[1])
    m = _best_m(days, adopters, p, q, population)
    rmse = math.sqrt(_sse(days, adopters, p, q, m) / len(days))
    mean = sum(adopters) / len(adopters)
    return BassFit(p, q, m, rmse, rmse / mean if mean else 0.0, len(days))


def days_to_reach(fit: BassFit, adopters: float) -> float | None:
    """Days from the series start until the fitted curve reaches ``adopters`` (None: never)."""
    if adopters <= 0:
        return 0.0
    if fit.m <= 0:  # a market where no vendor has adopted yet: the fitted curve stays at zero
        return None
    share = adopters / fit.m
    if share >= 1.0:
        return None
    decay = (1.0 - share) / (1.0 + share * fit.q / fit.p)
    return -math.log(decay) / (fit.p + fit.q)


def forecast_market(
    market_id: int,
    name: str,
    vendors: int,
    series: Sequence[tuple[date, int]],
    *,
    target: date,
) -> MarketForecast:
    """Fit one market's daily adopter series and project its 80% and 100% dates."""
    now = series[-1][1] if series else 0
    if len(series) < MIN_FIT_POINTS or vendors <= 0:
        return MarketForecast(
            market_id, name, vendors, now, None, None, None, True, "too little data to forecast"
        )
    origin = series[0][0]
    days = [float((day - origin).days) for day, _ in series]
    fit = fit_bass(days, [float(n) for _, n in series], population=vendors)

    def when(count: float) -> date | None:
        elapsed = days_to_reach(fit, count)
        return None if elapsed is None else origin + timedelta(days=math.ceil(elapsed))

    date_80 = when(LAGGING_SHARE * vendors)
    date_100 = when(vendors - FULL_ADOPTION_SLACK_VENDORS)
    if date_80 is None:
        lagging, reason = True, f"the fitted curve levels off at {fit.m:.0f} of {vendors} vendors"
    elif date_80 > target:
        lagging, reason = True, f"80% expected {date_80.isoformat()}, after {target.isoformat()}"
    else:
        lagging, reason = False, f"80% expected {date_80.isoformat()}"
    return MarketForecast(market_id, name, vendors, now, fit, date_80, date_100, lagging, reason)
