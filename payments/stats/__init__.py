"""Adoption statistics computed inside the database, and Bass forecasts per market.

``refresh_all`` writes the summary rows (``stat_adoption``); ``read_adoption`` reads them with
shares and growth; ``market_forecasts`` fits each market's adopter series.
"""

from payments.stats.forecast import BassFit, ForecastError, MarketForecast, fit_bass
from payments.stats.refresh import StatsInputError, refresh
from payments.stats.report import AdoptionRow, market_forecasts, read_adoption, refresh_all
from payments.stats.sources import Level, Sources, payments_sources
from payments.stats.sql import Period

__all__ = [
    "AdoptionRow",
    "BassFit",
    "ForecastError",
    "Level",
    "MarketForecast",
    "Period",
    "Sources",
    "StatsInputError",
    "fit_bass",
    "market_forecasts",
    "payments_sources",
    "read_adoption",
    "refresh",
    "refresh_all",
]
