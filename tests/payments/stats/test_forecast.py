"""Bass fits recover known curves; projections and lagging flags follow from the fit."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest

from payments.stats.forecast import (
    ForecastError,
    bass_cumulative,
    days_to_reach,
    fit_bass,
    forecast_market,
)

START = date(2026, 4, 1)


def curve(p: float, q: float, m: float, days: int) -> list[float]:
    return [bass_cumulative(day, p, q, m) for day in range(days)]


def test_an_exact_bass_curve_is_recovered() -> None:
    observed = curve(0.01, 0.08, 300, 90)
    fit = fit_bass([float(day) for day in range(90)], observed, population=375)
    assert fit.p == pytest.approx(0.01, rel=0.02)
    assert fit.q == pytest.approx(0.08, rel=0.02)
    assert fit.m == pytest.approx(300, rel=0.01)
    assert fit.rmse < 0.1


def test_a_noisy_curve_is_fitted_within_its_noise() -> None:
    rng = random.Random(3)
    truth = curve(0.005, 0.12, 80, 60)
    observed = [max(0.0, min(100.0, round(value + rng.gauss(0, 1.5)))) for value in truth]
    fit = fit_bass([float(day) for day in range(60)], observed, population=100)
    assert fit.rmse < 2.5
    assert fit.m == pytest.approx(80, rel=0.08)


def test_m_never_exceeds_the_market_or_falls_below_what_was_seen() -> None:
    observed = curve(0.01, 0.1, 500, 12)  # still early: an unbounded fit would overshoot
    assert max(observed) < 120
    fit = fit_bass([float(day) for day in range(12)], observed, population=120)
    assert max(observed) <= fit.m <= 120


def test_days_to_reach_inverts_the_curve() -> None:
    fit = fit_bass([float(d) for d in range(60)], curve(0.02, 0.1, 50, 60), population=50)
    elapsed = days_to_reach(fit, 40)
    assert elapsed is not None
    assert fit.adopters_at(elapsed) == pytest.approx(40, abs=1e-6)
    assert days_to_reach(fit, fit.m + 1) is None


def test_fast_market_is_on_track_and_slow_one_is_lagging() -> None:
    fast = [
        (START + timedelta(days=d), round(bass_cumulative(d, 0.02, 0.15, 100))) for d in range(40)
    ]
    slow = [
        (START + timedelta(days=d), round(bass_cumulative(d, 0.001, 0.01, 100))) for d in range(40)
    ]
    target = date(2026, 12, 31)
    on_track = forecast_market(1, "Chợ Đại Từ", 100, fast, target=target)
    lagging = forecast_market(2, "Chợ Đình Cả", 100, slow, target=target)
    assert not on_track.lagging
    assert on_track.date_80 is not None
    assert on_track.date_80 <= target
    assert on_track.date_100 is not None
    assert on_track.date_100 >= on_track.date_80
    assert lagging.lagging
    assert "80%" in lagging.reason or "levels off" in lagging.reason


def test_a_market_with_three_days_of_data_is_flagged_not_fitted() -> None:
    result = forecast_market(3, "Chợ Chu", 40, [(START, 1), (START, 2), (START, 3)], target=START)
    assert result.fit is None
    assert result.lagging
    assert "too little data" in result.reason


@pytest.mark.parametrize(
    ("days", "adopters", "population", "message"),
    [
        ([0.0, 1.0], [1.0, 2.0], 10, "at least"),
        ([0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0], 10, "adopter counts"),
        ([0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 11.0], 10, "within"),
        ([0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], 0, "population"),
    ],
)
def test_bad_series_are_refused_with_the_reason(
    days: list[float], adopters: list[float], population: int, message: str
) -> None:
    with pytest.raises(ForecastError, match=message):
        fit_bass(days, adopters, population=population)


def test_flat_zero_series_fits_without_dividing_by_zero() -> None:
    fit = fit_bass([float(d) for d in range(10)], [0.0] * 10, population=20)
    assert math.isfinite(fit.rmse)
    assert fit.nrmse == 0.0


def test_a_market_without_any_adopter_is_lagging_not_a_crash() -> None:
    """F6: the fuzzed API answered 500 (ZeroDivisionError) for a market whose series is all 0."""
    series = [(START + timedelta(days=day), 0) for day in range(10)]
    forecast = forecast_market(1, "Chợ Mới", 5, series, target=START + timedelta(days=60))
    assert forecast.lagging
    assert forecast.date_80 is None
    assert forecast.date_100 is None
    assert "levels off at 0 of 5 vendors" in forecast.reason
