"""Buyers and what they buy on a market day, and whether they pay by QR or in cash.

A market has a population of buyers (each with or without a smartphone, a bank or e-wallet
account at one bank, a preference for cash). On a market day Poisson(``arrivals_per_day``) of
them come; each makes 1 + Poisson(``purchases_per_visit`` - 1) purchases from stalls drawn by
the stalls' pull (category weight x the vendor's popularity); the ticket is lognormal per
category, rounded to 1,000 đồng. A purchase is paid by QR only if the vendor has adopted, the
buyer has a smartphone and an account, does not prefer cash, and the phone gets a connection
at the stall; otherwise it is a cash sale with the first reason that applied.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from payments.simulation.scenario import (
    MAX_TICKET_DONG,
    MIN_TICKET_DONG,
    Market,
    PaymentsConfig,
    Ticket,
)

TICKET_ROUNDING_DONG = 1_000
POISSON_CHUNK = 30.0  # Knuth's method is exact but O(lambda): larger means are summed in chunks
MAX_PURCHASES_PER_VISIT = 50


class CashReason(StrEnum):
    VENDOR_NO_QR = "vendor_no_qr"
    NO_SMARTPHONE = "no_smartphone"
    NO_ACCOUNT = "no_account"
    PREFERS_CASH = "prefers_cash"
    NO_SIGNAL = "no_signal"
    PAYMENT_FAILED = "payment_failed"  # tried QR, the payment did not go through: paid cash


@dataclass(frozen=True, slots=True)
class Buyer:
    smartphone: bool
    account: bool
    prefers_cash: bool
    bank_bin: str

    @property
    def can_pay_qr(self) -> bool:
        return self.smartphone and self.account and not self.prefers_cash


@dataclass(frozen=True, slots=True)
class Sale:
    vendor: int  # index within the market
    buyer: int  # index within the market's population
    amount_dong: int
    minute: int  # minutes after the market opens
    qr: bool
    dynamic: bool  # QR only: the vendor showed a per-sale code with the amount
    cash_reason: CashReason | None


def poisson(rng: random.Random, mean: float) -> int:
    """An exact Poisson draw (Knuth, summed over chunks of mean <= POISSON_CHUNK)."""
    if mean < 0 or not math.isfinite(mean):
        raise ValueError(f"Poisson mean must be finite and >= 0, got {mean}")
    total = 0
    rest = mean
    while rest > 0:
        chunk = min(rest, POISSON_CHUNK)
        rest -= chunk
        limit = math.exp(-chunk)
        product = rng.random()
        while product > limit:
            total += 1
            product *= rng.random()
    return total


def ticket_dong(rng: random.Random, ticket: Ticket) -> int:
    """A lognormal ticket rounded to 1,000 đồng, within the scenario's limits."""
    raw = rng.lognormvariate(ticket.mu, ticket.sigma)
    rounded = round(raw / TICKET_ROUNDING_DONG) * TICKET_ROUNDING_DONG
    return min(MAX_TICKET_DONG, max(MIN_TICKET_DONG, rounded))


def pick_bank(rng: random.Random, banks: Sequence[tuple[str, float]]) -> str:
    draw = rng.random()
    cumulative = 0.0
    for bank_bin, share in banks:
        cumulative += share
        if draw < cumulative:
            return bank_bin
    return banks[-1][0]


def population(
    rng: random.Random, market: Market, banks: Sequence[tuple[str, float]], size: int
) -> list[Buyer]:
    buyers = []
    for _index in range(size):
        smartphone = rng.random() < market.smartphone_share
        account = rng.random() < market.bank_account_share
        prefers_cash = rng.random() < market.cash_preference
        buyers.append(Buyer(smartphone, account, prefers_cash, pick_bank(rng, banks)))
    return buyers


@dataclass(frozen=True)
class Stalls:
    """The vendors of one market: category per vendor and cumulative pull for drawing."""

    categories: tuple[str, ...]
    cumulative_pull: tuple[float, ...]

    def draw(self, rng: random.Random) -> int:
        point = rng.random() * self.cumulative_pull[-1]
        return min(bisect.bisect_right(self.cumulative_pull, point), len(self.categories) - 1)


def stalls(
    rng: random.Random, categories: Sequence[str], weights: dict[str, float], sigma: float
) -> Stalls:
    total = 0.0
    cumulative = []
    for category in categories:
        total += weights[category] * rng.lognormvariate(0.0, sigma)
        cumulative.append(total)
    if total <= 0:
        raise ValueError("every stall has zero pull: give some category a weight > 0")
    return Stalls(tuple(categories), tuple(cumulative))


def _reason(buyer: Buyer, adopted: bool, signal: bool) -> CashReason | None:
    if not adopted:
        return CashReason.VENDOR_NO_QR
    if not buyer.smartphone:
        return CashReason.NO_SMARTPHONE
    if not buyer.account:
        return CashReason.NO_ACCOUNT
    if buyer.prefers_cash:
        return CashReason.PREFERS_CASH
    if not signal:
        return CashReason.NO_SIGNAL
    return None


def market_day_sales(
    rng: random.Random,
    *,
    market: Market,
    arrivals_mean: float,
    stalls_of_market: Stalls,
    tickets: dict[str, Ticket],
    buyers: Sequence[Buyer],
    adopted: Sequence[bool],
    config: PaymentsConfig,
) -> list[Sale]:
    """Every purchase of one market day, in the order the buyers arrive."""
    open_minutes = config.open_hours * 60
    sales = []
    for _arrival in range(poisson(rng, arrivals_mean)):
        buyer_index = rng.randrange(len(buyers))
        buyer = buyers[buyer_index]
        visits = min(MAX_PURCHASES_PER_VISIT, 1 + poisson(rng, market.purchases_per_visit - 1.0))
        minute = rng.randrange(open_minutes)
        for _purchase in range(visits):
            vendor = stalls_of_market.draw(rng)
            amount = ticket_dong(rng, tickets[stalls_of_market.categories[vendor]])
            signal = rng.random() < market.connectivity
            dynamic = rng.random() < config.dynamic_share
            reason = _reason(buyer, adopted[vendor], signal)
            sales.append(
                Sale(
                    vendor,
                    buyer_index,
                    amount,
                    minute,
                    reason is None,
                    dynamic and reason is None,
                    reason,
                )
            )
            minute = min(open_minutes - 1, minute + 1 + rng.randrange(5))
    return sales
