"""``/api/v1/stats``: adoption figures and forecasts for the officials' dashboard.

Reads only the stored summary rows (fast, and free of buyer data); ``POST /refresh``
(operators) recomputes them inside the database.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from merchant_app.api.contract import OPERATOR, IsoDay, day_query, errors
from merchant_app.api.officials import OperatorViewer, ViewerDep
from merchant_app.deps import ClockDep, EngineDep
from merchant_app.reports.cash import cash_observations
from payments.stats.refresh import StatsInputError
from payments.stats.report import activity_range, market_forecasts, read_adoption, refresh_all
from payments.stats.sources import Level
from payments.stats.sql import Period

UNIT_ID_MAX = 2**63 - 1  # ids are signed 64-bit columns; larger is a 422, not a database error

NOTHING_TO_SUMMARIZE = "no payment activity recorded yet: nothing to summarize"

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"], responses=errors(*OPERATOR))


class RefreshOut(BaseModel):
    rows_written: int


@router.get("/adoption")
def adoption(
    _who: ViewerDep,
    engine: EngineDep,
    by: Level = Level.MARKET,
    period: Period = Period.WEEK,
    first: Annotated[IsoDay | None, day_query("from")] = None,
    last: Annotated[IsoDay | None, day_query("to")] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=UNIT_ID_MAX)] = None,
) -> dict[str, object]:
    """Adoption rows of one level and period, with shares, averages and growth."""
    with engine.connect() as connection:
        rows = read_adoption(connection, by, period, first=first, last=last, unit_id=unit_id)
    return {"level": by.value, "period": period.value, "rows": [row.as_dict() for row in rows]}


@router.get("/forecast")
def forecast(_who: ViewerDep, engine: EngineDep, clock: ClockDep) -> dict[str, object]:
    """A Bass fit per market; lagging markets will not reach 80% with QR by 31 December."""
    today = clock.now().date()
    with engine.connect() as connection:
        found = market_forecasts(connection, target=date(today.year, 12, 31))
    return {
        "target": date(today.year, 12, 31).isoformat(),
        "markets": [
            {
                "market_id": item.market_id,
                "name": item.name,
                "vendors": item.vendors,
                "vendors_with_qr": item.adopters_now,
                "p": None if item.fit is None else item.fit.p,
                "q": None if item.fit is None else item.fit.q,
                "m": None if item.fit is None else item.fit.m,
                "fit_rmse": None if item.fit is None else item.fit.rmse,
                "date_80": None if item.date_80 is None else item.date_80.isoformat(),
                "date_100": None if item.date_100 is None else item.date_100.isoformat(),
                "lagging": item.lagging,
                "reason": item.reason,
            }
            for item in found
        ],
    }


@router.post("/refresh", responses=errors(400, 409))
def refresh(
    _who: OperatorViewer,
    engine: EngineDep,
    clock: ClockDep,
    first: Annotated[IsoDay | None, day_query("from")] = None,
    last: Annotated[IsoDay | None, day_query("to")] = None,
) -> RefreshOut:
    """Recompute the summary rows (all days with activity unless a range is given)."""
    with engine.connect() as connection:
        if (first is None or last is None) and activity_range(connection) is None:
            # The state of the data, not the request, is what is missing: 409, like a retry later.
            raise HTTPException(status_code=409, detail=NOTHING_TO_SUMMARIZE)
        cash = cash_observations(connection)
    try:
        written = refresh_all(engine, now=clock.now(), cash=cash, first=first, last=last)
    except StatsInputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return RefreshOut(rows_written=written)
