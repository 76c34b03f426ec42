"""Bass diffusion: bounded, monotone, seeded, and on average the mean-field path."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from payments.simulation.diffusion import BassRates, Diffusion, compound, expected_share

rates = st.builds(
    BassRates.per_year,
    st.floats(min_value=0.0, max_value=0.5),
    st.floats(min_value=0.0, max_value=2.0),
)
boosts = st.lists(
    st.lists(st.floats(min_value=0.0, max_value=0.2), min_size=1, max_size=6),
    min_size=1,
    max_size=20,
)


@settings(max_examples=40, deadline=None)
@given(rates=rates, steps=boosts, vendors=st.integers(1, 60), seed=st.integers(0, 2**32))
def test_adopters_never_decrease_and_never_exceed_the_vendors(
    rates: BassRates, steps: list[list[float]], vendors: int, seed: int
) -> None:
    diffusion = Diffusion(vendors, rates)
    rng = random.Random(seed)
    previous = 0
    for step in steps:
        new = diffusion.step(step, rng)
        assert len(set(new)) == len(new)
        assert previous <= diffusion.count <= vendors
        assert diffusion.count == previous + len(new)
        previous = diffusion.count


@settings(max_examples=25, deadline=None)
@given(steps=boosts, seed=st.integers(0, 2**32))
def test_raising_imitation_never_loses_an_adopter_with_the_same_draws(
    steps: list[list[float]], seed: int
) -> None:
    low = Diffusion(40, BassRates.per_year(0.03, 0.38))
    high = Diffusion(40, BassRates.per_year(0.03, 5.0))
    low_rng, high_rng = random.Random(seed), random.Random(seed)
    for step in steps:
        low.step(step, low_rng)
        high.step(step, high_rng)
        assert all(h or not lo for lo, h in zip(low.adopted, high.adopted, strict=True))


def test_without_innovation_imitation_or_campaign_nobody_adopts() -> None:
    diffusion = Diffusion(100, BassRates.per_year(0.0, 0.5))
    rng = random.Random(1)
    for _step in range(50):
        assert diffusion.step([0.0], rng) == []


def test_a_certain_campaign_day_converts_every_vendor() -> None:
    diffusion = Diffusion(30, BassRates.per_year(0.0, 0.0))
    assert diffusion.step([1.0], random.Random(2)) == list(range(30))


def test_same_seed_same_adopters() -> None:
    def path(seed: int) -> list[list[int]]:
        diffusion = Diffusion(50, BassRates.per_year(0.03, 0.45))
        rng = random.Random(seed)
        return [diffusion.step([0.02, 0.02], rng) for _step in range(10)]

    assert path(7) == path(7)
    assert path(7) != path(8)


def test_compounding_days_between_market_days() -> None:
    assert compound([0.5, 0.5]) == 0.75
    assert compound([]) == 0.0


def test_large_market_follows_the_mean_field_path() -> None:
    rates = BassRates.per_year(0.5, 20.0)
    steps = [[0.01] * 5 for _step in range(12)]
    diffusion = Diffusion(20_000, rates)
    rng = random.Random(3)
    simulated = []
    for step in steps:
        diffusion.step(step, rng)
        simulated.append(diffusion.count / diffusion.vendors)
    for got, want in zip(simulated, expected_share(rates, steps), strict=True):
        assert abs(got - want) < 0.02, (got, want)
