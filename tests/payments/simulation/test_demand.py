"""Buyers' purchases: tickets in whole thousands, Poisson arrivals, and who can pay by QR."""

from __future__ import annotations

import random
import statistics

from payments.simulation.demand import (
    MIN_TICKET_DONG,
    Buyer,
    CashReason,
    market_day_sales,
    poisson,
    stalls,
    ticket_dong,
)
from payments.simulation.scenario import Scenario


def test_tickets_are_whole_thousands_near_the_median(bundled: Scenario) -> None:
    rng = random.Random(5)
    ticket = bundled.categories["meat-fish"]
    amounts = [ticket_dong(rng, ticket) for _n in range(4000)]
    assert all(a % 1000 == 0 and a >= MIN_TICKET_DONG for a in amounts)
    assert abs(statistics.median(amounts) - ticket.median_dong) < 0.05 * ticket.median_dong


def test_poisson_mean_and_variance() -> None:
    rng = random.Random(9)
    draws = [poisson(rng, 120.0) for _n in range(3000)]
    assert abs(statistics.mean(draws) - 120.0) < 1.5
    assert abs(statistics.variance(draws) - 120.0) < 15.0
    assert poisson(rng, 0.0) == 0


def test_only_capable_buyers_at_adopted_stalls_pay_by_qr(bundled: Scenario) -> None:
    market = bundled.market("dai-tu")
    rng = random.Random(11)
    categories = [c for c, n in market.vendors.items() for _ in range(n)]
    weights = {name: t.weight for name, t in bundled.categories.items()}
    market_stalls = stalls(rng, categories, weights, 1.0)
    buyers = [
        Buyer(smartphone=i % 2 == 0, account=i % 3 != 0, prefers_cash=i % 5 == 0, bank_bin="970405")
        for i in range(300)
    ]
    adopted = [i % 2 == 0 for i in range(len(categories))]
    sales = market_day_sales(
        rng,
        market=market,
        arrivals_mean=800.0,
        stalls_of_market=market_stalls,
        tickets=dict(bundled.categories),
        buyers=buyers,
        adopted=adopted,
        config=bundled.payments,
    )
    assert len(sales) > 800
    reasons = {sale.cash_reason for sale in sales}
    assert {None, CashReason.VENDOR_NO_QR, CashReason.NO_SMARTPHONE} <= reasons
    for sale in sales:
        buyer = buyers[sale.buyer]
        assert sale.qr == (adopted[sale.vendor] and buyer.can_pay_qr and sale.cash_reason is None)
        assert not sale.dynamic or sale.qr
        assert 0 <= sale.minute < bundled.payments.open_hours * 60
