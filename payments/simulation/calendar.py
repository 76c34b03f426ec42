"""Market days: every N days from an anchor date, or fixed days of the lunar month.

Days are Vietnamese local dates (UTC+7). The lunar calendar comes from ``lunardate``, which
implements the Chinese calendar (computed for UTC+8). Vietnam's calendar is computed for UTC+7;
the two differ only when a new moon falls between 23:00 and 24:00 Vietnam time, so a lunar month
(and its market days) can start a day earlier in Vietnam than here -- a few months per century,
which we accept and document (docs/SIMULATION.md).

``payments.directory.MarketDayRule`` stores the same rule in the database; a test checks that
both agree day by day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from lunardate import LunarDate

from payments.simulation.scenario import MarketDays

VIETNAM_UTC_OFFSET_H = 7
VIETNAM = timezone(timedelta(hours=VIETNAM_UTC_OFFSET_H))
LUNARDATE_FIRST_YEAR = 1900  # lunardate's tables cover 1900..2099
LUNARDATE_LAST_YEAR = 2099


def lunar_day(day: date) -> int:
    """The day of the lunar month (1..30) of a local date."""
    if not LUNARDATE_FIRST_YEAR <= day.year <= LUNARDATE_LAST_YEAR:
        raise ValueError(f"{day}: the lunar calendar is known for 1900..2099 only")
    return int(LunarDate.from_solar_date(day.year, day.month, day.day).day)


def is_market_day(rule: MarketDays, day: date) -> bool:
    if rule.every_days is not None:
        assert rule.anchor is not None
        return (day - rule.anchor).days % rule.every_days == 0
    assert rule.lunar_days is not None
    return lunar_day(day) in rule.lunar_days


def market_days(rule: MarketDays, first: date, last: date) -> list[date]:
    """Every market day in ``first``..``last`` inclusive."""
    days = []
    day = first
    while day <= last:
        if is_market_day(rule, day):
            days.append(day)
        day += timedelta(days=1)
    return days


def local_time(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` Vietnam time on ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=VIETNAM).astimezone(UTC)
