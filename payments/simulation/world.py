"""The pure model of a scenario: who adopts and who buys what, day by day, without any I/O.

``WorldModel`` owns one ``MarketModel`` per market; each market draws from its own random
streams keyed by (seed, market key, purpose, day), so a market's days come out the same whether
it is simulated alone (calibration) or with every other market (the engine), and whatever the
payments did. The engine turns a ``MarketDay`` into real directory rows and payments; the
calibration only counts.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from payments.simulation.calendar import is_market_day
from payments.simulation.demand import Buyer, Sale, Stalls, market_day_sales, population, stalls
from payments.simulation.diffusion import BassRates, Diffusion
from payments.simulation.scenario import Market, Scenario, ScenarioError

MIN_SCALE = 0.001
MAX_SCALE = 1000.0


def stream(seed: int, *parts: object) -> random.Random:
    """An independent random stream for one purpose (seeding from text hashes it: stable)."""
    return random.Random(":".join(str(part) for part in (seed, *parts)))


def scaled(count: int, scale: float) -> int:
    return 0 if count == 0 else max(1, round(count * scale))


@dataclass
class MarketDay:
    market_key: str
    day: date
    day_number: int  # days since the scenario's start
    new_adopters: list[int]  # vendor indices
    sales: list[Sale]


@dataclass
class Observation:
    """One market day's counts at the end of the day (for calibration and reports)."""

    day_number: int
    adopters: int
    active_vendors: int  # vendors with at least one QR sale so far
    qr_sales: int
    cash_sales: int


@dataclass
class MarketModel:
    key: str
    index: int
    market: Market
    stalls: Stalls
    buyers: list[Buyer]
    diffusion: Diffusion
    arrivals_mean: float
    account_counts: list[int]  # per vendor: how many accounts it links when it adopts
    active: list[bool]
    last_day: date
    observations: list[Observation] = field(default_factory=list)

    @property
    def vendors(self) -> int:
        return self.diffusion.vendors


class WorldModel:
    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int | None = None,
        scale: float = 1.0,
        only: Iterable[str] | None = None,
    ) -> None:
        if not MIN_SCALE <= scale <= MAX_SCALE:
            raise ScenarioError(f"scale {scale}: must be {MIN_SCALE}..{MAX_SCALE}")
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.scale = scale
        wanted = None if only is None else set(only)
        known = {key for key, _m in scenario.markets()}
        if wanted is not None and not wanted <= known:
            raise ScenarioError(f"unknown markets: {sorted(wanted - known)}")
        self.banks = sorted(scenario.banks.items())
        self.markets = [
            self._market(index, key, market)
            for index, (key, market) in enumerate(scenario.markets())
            if wanted is None or key in wanted
        ]
        self._boosts = self._campaign_boosts()

    def _market(self, index: int, key: str, market: Market) -> MarketModel:
        scenario = self.scenario
        rng = stream(self.seed, key, "setup")
        categories = [
            category
            for category, count in market.vendors.items()
            for _n in range(scaled(count, self.scale))
        ]
        weights = {name: ticket.weight for name, ticket in scenario.categories.items()}
        market_stalls = stalls(rng, categories, weights, scenario.demand.vendor_popularity_sigma)
        buyers = population(rng, market, self.banks, scaled(market.buyers, self.scale))
        p_year = market.bass_p_per_year
        q_year = market.bass_q_per_year
        rates = BassRates.per_year(
            scenario.adoption.bass_p_per_year if p_year is None else p_year,
            scenario.adoption.bass_q_per_year if q_year is None else q_year,
        )
        weights_accounts = scenario.adoption.account_count_weights
        account_counts = [
            rng.choices(range(1, len(weights_accounts) + 1), weights=weights_accounts)[0]
            for _vendor in categories
        ]
        return MarketModel(
            key=key,
            index=index,
            market=market,
            stalls=market_stalls,
            buyers=buyers,
            diffusion=Diffusion(len(categories), rates),
            arrivals_mean=market.arrivals_per_day * self.scale,
            account_counts=account_counts,
            active=[False] * len(categories),
            last_day=scenario.start - timedelta(days=1),
        )

    def _campaign_boosts(self) -> dict[tuple[str, date], float]:
        boosts: dict[tuple[str, date], float] = {}
        for campaign in self.scenario.campaigns:
            for offset in range(campaign.days):
                slot = (campaign.market, campaign.start + timedelta(days=offset))
                boosts[slot] = boosts.get(slot, 0.0) + campaign.p_boost_per_day
        return boosts

    def day(self, day: date) -> list[MarketDay]:
        """Advance every market to ``day``; the markets held that day, in scenario order."""
        held = []
        for model in self.markets:
            if is_market_day(model.market.days, day):
                held.append(self._market_day(model, day))
        return held

    def _market_day(self, model: MarketModel, day: date) -> MarketDay:
        elapsed = (day - model.last_day).days
        assert elapsed >= 1, (model.key, day, model.last_day)
        boosts = [
            self._boosts.get((model.key, model.last_day + timedelta(days=offset)), 0.0)
            for offset in range(1, elapsed + 1)
        ]
        model.last_day = day
        new = model.diffusion.step(boosts, stream(self.seed, model.key, "adopt", day))
        sales = market_day_sales(
            stream(self.seed, model.key, "demand", day),
            market=model.market,
            arrivals_mean=model.arrivals_mean,
            stalls_of_market=model.stalls,
            tickets=dict(self.scenario.categories),
            buyers=model.buyers,
            adopted=model.diffusion.adopted,
            config=self.scenario.payments,
        )
        qr = 0
        for sale in sales:
            if sale.qr:
                qr += 1
                model.active[sale.vendor] = True
        day_number = (day - self.scenario.start).days
        model.observations.append(
            Observation(day_number, model.diffusion.count, sum(model.active), qr, len(sales) - qr)
        )
        return MarketDay(model.key, day, day_number, new, sales)

    def run(self, days: int) -> None:
        """Advance ``days`` days from the start, counting only (calibration)."""
        for offset in range(days):
            self.day(self.scenario.start + timedelta(days=offset))
