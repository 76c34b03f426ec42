"""Discrete-time Bass diffusion of QR adoption among a market's vendors.

Each calendar day a vendor without QR adopts with hazard ``p + boost + q * adopters / m``
(Bass 1969, applied per vendor): ``p`` innovation, ``q`` imitation, ``m`` the market's vendors,
``boost`` a campaign's extra daily hazard while a community digital team is at the market.
Vendors can only act on a market day, so the hazards of the days since the last market day are
compounded into one probability. The literature gives p and q per year; they are converted to
per day here. Every vendor draws one uniform number per step, adopted or not, so that a
parameter change does not shift the random stream of later draws (common random numbers make
calibration smooth).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class BassRates:
    p_per_day: float
    q_per_day: float

    @classmethod
    def per_year(cls, p_per_year: float, q_per_year: float) -> BassRates:
        if p_per_year < 0 or q_per_year < 0:
            raise ValueError(f"Bass rates must be >= 0, got p={p_per_year}, q={q_per_year}")
        return cls(p_per_year / DAYS_PER_YEAR, q_per_year / DAYS_PER_YEAR)


def daily_hazard(rates: BassRates, boost: float, adopters: int, population: int) -> float:
    """The chance that one vendor without QR adopts on one day."""
    assert population > 0, population
    assert 0 <= adopters <= population, (adopters, population)
    hazard = rates.p_per_day + boost + rates.q_per_day * adopters / population
    return min(1.0, max(0.0, hazard))


def compound(hazards: Sequence[float]) -> float:
    """Probability of adopting on at least one of several days with these daily hazards."""
    stay = 1.0
    for hazard in hazards:
        stay *= 1.0 - hazard
    return 1.0 - stay


class Diffusion:
    """The adoption state of one market's vendors."""

    def __init__(self, vendors: int, rates: BassRates) -> None:
        if vendors < 1:
            raise ValueError("a market needs at least one vendor")
        self.rates = rates
        self.adopted = [False] * vendors
        self.count = 0

    @property
    def vendors(self) -> int:
        return len(self.adopted)

    def step(self, boosts: Sequence[float], rng: random.Random) -> list[int]:
        """One market day after ``len(boosts)`` calendar days (each with its campaign boost):
        the indices of the vendors who adopt now."""
        hazards = [daily_hazard(self.rates, boost, self.count, self.vendors) for boost in boosts]
        probability = compound(hazards)
        new = []
        for index in range(self.vendors):
            draw = rng.random()
            if not self.adopted[index] and draw < probability:
                new.append(index)
        for index in new:
            self.adopted[index] = True
        self.count += len(new)
        assert self.count == sum(self.adopted)
        return new


def expected_share(
    rates: BassRates, boosts: Sequence[Sequence[float]], start: float = 0.0
) -> list[float]:
    """Mean-field path of the adopted share over the same steps (for tests and the docs)."""
    share = start
    path = []
    for step_boosts in boosts:
        stay = 1.0
        for boost in step_boosts:
            stay *= 1.0 - min(1.0, rates.p_per_day + boost + rates.q_per_day * share)
        share += (1.0 - share) * (1.0 - stay)
        path.append(share)
    return path
