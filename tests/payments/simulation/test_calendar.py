"""Market days: interval rules and lunar days, and agreement with the directory's rule."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from payments.directory import MarketDayRule
from payments.simulation.calendar import is_market_day, local_time, lunar_day, market_days
from payments.simulation.scenario import MarketDays
from payments.simulation.setup import day_rule


def test_lunar_new_year_is_lunar_day_one() -> None:
    # Tết Nhâm Dần fell on 1 February 2022, Tết Quý Mão on 22 January 2023.
    assert lunar_day(date(2022, 2, 1)) == 1
    assert lunar_day(date(2023, 1, 22)) == 1
    assert lunar_day(date(2022, 2, 6)) == 6


def test_lunar_market_days_follow_the_moon_not_the_solar_month() -> None:
    rule = MarketDays(lunar_days=(1, 6, 11, 16, 21, 26))
    days = market_days(rule, date(2022, 2, 1), date(2022, 3, 31))
    assert days[:3] == [date(2022, 2, 1), date(2022, 2, 6), date(2022, 2, 11)]
    assert all(lunar_day(day) in rule.lunar_days for day in days)  # type: ignore[operator]
    # A lunar month has 29 or 30 days, so the gap after day 26 is 4 or 5 days.
    gaps = {(b - a).days for a, b in itertools.pairwise(days)}
    assert gaps <= {4, 5}


def test_interval_market_days_count_from_the_anchor() -> None:
    rule = MarketDays(every_days=5, anchor=date(2022, 4, 27))
    days = market_days(rule, date(2022, 4, 25), date(2022, 5, 10))
    assert days == [date(2022, 4, 27), date(2022, 5, 2), date(2022, 5, 7)]


@pytest.mark.parametrize(
    "rule",
    [
        MarketDays(every_days=5, anchor=date(2022, 4, 27)),
        MarketDays(every_days=1, anchor=date(2022, 1, 1)),
        MarketDays(lunar_days=(4, 9, 14, 19, 24, 29)),
        MarketDays(lunar_days=(30,)),
    ],
)
def test_agrees_with_the_directory_rule_for_a_year(rule: MarketDays) -> None:
    stored: MarketDayRule = day_rule(rule)
    day = date(2022, 1, 1)
    for _offset in range(366):
        assert is_market_day(rule, day) == stored.is_market_day(day), day
        day += timedelta(days=1)


def test_market_opens_at_six_vietnam_time() -> None:
    assert local_time(date(2022, 4, 25), 6).isoformat() == "2022-04-24T23:00:00+00:00"


def test_lunar_calendar_outside_its_tables_is_refused() -> None:
    with pytest.raises(ValueError, match=r"1900\.\.2099"):
        lunar_day(date(2100, 1, 1))
