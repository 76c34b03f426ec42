"""Scenario files: the world a simulation runs in, validated by pydantic, loaded from TOML.

A scenario names districts -> communes -> markets (market-day rule, vendors by category, buyer
population and its phone/bank-account ownership, connectivity, Bass adoption parameters), the
banks' shares, ticket sizes per category, campaigns by community digital teams, the share of
buyers preferring cash and fault rates. Every problem is a ``ScenarioError`` naming the key path
(``districts.dai-tu.communes.hung-son.markets.dai-tu.cash_preference: ...``).
"""

from __future__ import annotations

import math
import re
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from payments.errors import InvalidInput

BUNDLED_PACKAGE = "payments.simulation.scenarios"
SCENARIO_MAX_BYTES = 1_000_000  # a scenario is a hand-written file of a few kilobytes
MAX_MARKET_DAY_INTERVAL_DAYS = 30
MAX_VENDORS_PER_MARKET = 20_000
MAX_BUYERS_PER_MARKET = 2_000_000
MAX_TICKET_DONG = 50_000_000
MIN_TICKET_DONG = 1_000  # the smallest note people hand over at a market
MAX_WALLET_DONG = 10_000_000_000
MAX_ACCOUNTS_PER_VENDOR = 5  # stalls show 2-5 codes from different banks
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_BIN = re.compile(r"^\d{6}$")

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0)]


class ScenarioError(InvalidInput):
    """A scenario file that cannot be used; the message names the file and the key path."""

    code = "invalid_scenario"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_keys(what: str, keys: Any) -> None:
    for key in keys:
        if not _KEY.match(str(key)):
            raise ValueError(f"{what} key {key!r}: use 1..40 lower-case letters, digits or '-'")


class MarketDays(_Strict):
    """Either every ``every_days`` days counted from ``anchor``, or fixed lunar days."""

    every_days: int | None = Field(None, ge=1, le=MAX_MARKET_DAY_INTERVAL_DAYS)
    anchor: date | None = None
    lunar_days: tuple[Annotated[int, Field(ge=1, le=30)], ...] | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> MarketDays:
        if (self.every_days is None) == (self.lunar_days is None):
            raise ValueError("give exactly one of every_days (with anchor) or lunar_days")
        if self.every_days is not None and self.anchor is None:
            raise ValueError("every_days needs an anchor date")
        if self.lunar_days is not None and not self.lunar_days:
            raise ValueError("lunar_days must list at least one day")
        return self


class Ticket(_Strict):
    """Lognormal ticket size: ``median_dong`` = exp(mu), ``sigma`` the log-scale spread."""

    median_dong: int = Field(ge=MIN_TICKET_DONG, le=MAX_TICKET_DONG)
    sigma: float = Field(ge=0.0, le=3.0)
    weight: Rate = 1.0  # relative share of purchases made in this category

    @property
    def mu(self) -> float:
        return math.log(self.median_dong)


class Market(_Strict):
    name: str = Field(min_length=1, max_length=80)
    real: bool  # True: a market known by this name; False: illustrative
    pilot: bool = False  # one of the 11 "Chợ 4.0" pilot markets (calibration group)
    days: MarketDays
    stall_fee_dong: int = Field(0, ge=0, le=10_000_000)
    vendors: dict[str, Annotated[int, Field(ge=0, le=MAX_VENDORS_PER_MARKET)]]
    buyers: int = Field(ge=1, le=MAX_BUYERS_PER_MARKET)  # people who shop here at all
    arrivals_per_day: Rate  # mean buyers on a market day (Poisson)
    purchases_per_visit: float = Field(1.5, ge=1.0, le=20.0)
    smartphone_share: Probability
    bank_account_share: Probability
    cash_preference: Probability  # of buyers who could pay by QR, the share who still pay cash
    connectivity: Probability  # chance the buyer's phone has a usable connection at the stall
    bass_p_per_year: Rate | None = None  # overrides [adoption]
    bass_q_per_year: Rate | None = None

    @model_validator(mode="after")
    def _has_vendors(self) -> Market:
        _check_keys("category", self.vendors)
        if sum(self.vendors.values()) == 0:
            raise ValueError("a market needs at least one vendor")
        return self


class Commune(_Strict):
    name: str = Field(min_length=1, max_length=80)
    markets: dict[str, Market]

    @model_validator(mode="after")
    def _keys(self) -> Commune:
        _check_keys("market", self.markets)
        return self


class District(_Strict):
    name: str = Field(min_length=1, max_length=80)
    communes: dict[str, Commune]

    @model_validator(mode="after")
    def _keys(self) -> District:
        _check_keys("commune", self.communes)
        return self


class Campaign(_Strict):
    """A community digital team at a market: vendors' adoption hazard rises for a window."""

    market: str
    start: date
    days: int = Field(ge=1, le=366)
    p_boost_per_day: Probability  # added to the daily innovation hazard during the window
    note: str = ""


class Adoption(_Strict):
    """Bass diffusion defaults (per year, the literature's unit) and vendors' accounts."""

    bass_p_per_year: Rate
    bass_q_per_year: Rate
    account_count_weights: tuple[Rate, ...] = Field(
        min_length=1, max_length=MAX_ACCOUNTS_PER_VENDOR
    )


class Demand(_Strict):
    vendor_popularity_sigma: float = Field(1.0, ge=0.0, le=5.0)  # lognormal spread of stalls' draw


class Faults(_Strict):
    """Per bank message; ``timeout_*`` are scaled up by a market's missing connectivity."""

    timeout_before_commit: Probability = 0.0
    timeout_after_commit: Probability = 0.0
    bank_offline: Probability = 0.0
    insufficient_funds: Probability = 0.0
    amount_over_limit: Probability = 0.0
    duplicate_notification: Probability = 0.0
    delayed_notification: Probability = 0.0
    timeout_per_missing_connectivity: Rate = 0.0


class PaymentsConfig(_Strict):
    dynamic_share: Probability = 0.1  # sales where the vendor shows a per-sale dynamic code
    wallet_dong: int = Field(ge=MIN_TICKET_DONG, le=MAX_WALLET_DONG)  # each payer's deposit
    camera_every: int = Field(50, ge=1, le=1_000_000)  # camera mode: every Nth QR payment
    opening_hour: int = Field(6, ge=0, le=23)  # local time (UTC+7)
    open_hours: int = Field(5, ge=1, le=18)


class Scenario(_Strict):
    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    province: str = Field(min_length=1, max_length=80)
    start: date
    days: int = Field(ge=1, le=3650)
    seed: int = Field(ge=0)
    banks: dict[str, Probability]
    categories: dict[str, Ticket]
    adoption: Adoption
    demand: Demand = Demand(vendor_popularity_sigma=1.0)
    faults: Faults = Faults(timeout_before_commit=0.0)
    payments: PaymentsConfig
    campaigns: tuple[Campaign, ...] = ()
    districts: dict[str, District]

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        _check_keys("district", self.districts)
        _check_keys("category", self.categories)
        for bank_bin in self.banks:
            if not _BIN.match(bank_bin):
                raise ValueError(f"banks key {bank_bin!r}: a bank BIN is 6 digits")
        if not math.isclose(sum(self.banks.values()), 1.0, abs_tol=1e-6):
            raise ValueError(f"banks shares must sum to 1, got {sum(self.banks.values()):.6f}")
        keys = [key for key, _market in self.markets()]
        if len(keys) != len(set(keys)):
            raise ValueError("market keys must be unique across the whole scenario")
        for key, market in self.markets():
            for category in market.vendors:
                if category not in self.categories:
                    raise ValueError(f"market {key!r}: vendors category {category!r} is unknown")
        for index, campaign in enumerate(self.campaigns):
            if campaign.market not in keys:
                raise ValueError(f"campaigns[{index}].market {campaign.market!r} is unknown")
        return self

    def markets(self) -> list[tuple[str, Market]]:
        """Every market with its key, in file order (the order is part of determinism)."""
        return [
            (key, market)
            for district in self.districts.values()
            for commune in district.communes.values()
            for key, market in commune.markets.items()
        ]

    def market(self, key: str) -> Market:
        for market_key, market in self.markets():
            if market_key == key:
                return market
        raise ScenarioError(f"scenario {self.name}: no market {key!r}")


def bundled_names() -> list[str]:
    folder = resources.files(BUNDLED_PACKAGE)
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml") and entry.name != "targets.toml"
    )


def read_toml(reference: str | Path, *, what: str = "scenario") -> tuple[str, dict[str, Any]]:
    """Read a bundled file by name or a file by path; returns (label, table)."""
    text_ref = str(reference)
    if _KEY.match(text_ref) and text_ref in [*bundled_names(), "targets"]:
        label = f"{text_ref}.toml"
        raw = resources.files(BUNDLED_PACKAGE).joinpath(label).read_bytes()
    else:
        path = Path(reference)
        label = str(path)
        if not path.is_file():
            known = ", ".join(bundled_names())
            raise ScenarioError(f"{what} file {label}: not found (bundled scenarios: {known})")
        if path.stat().st_size > SCENARIO_MAX_BYTES:
            raise ScenarioError(f"{what} file {label}: larger than {SCENARIO_MAX_BYTES} bytes")
        raw = path.read_bytes()
    try:
        return label, tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{what} file {label}: not valid TOML: {exc}") from exc


def explain(label: str, exc: ValidationError) -> str:
    """One line naming the first problem's key path."""
    first = exc.errors()[0]
    path = ".".join(str(part) for part in first["loc"])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key (check the spelling; see docs/SIMULATION.md)"
    elif "input" in first and first["type"] not in ("missing", "value_error"):
        message = f"{message} (got {first['input']!r})"
    message = message.removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    where = f"{path}: " if path else ""
    return f"scenario file {label}: {where}{message}{suffix}"


def load_scenario(reference: str | Path) -> Scenario:
    """The scenario named ``reference`` (bundled, e.g. ``thai-nguyen``) or at that path."""
    label, table = read_toml(reference)
    try:
        return Scenario.model_validate(table)
    except ValidationError as exc:
        raise ScenarioError(explain(label, exc)) from None
