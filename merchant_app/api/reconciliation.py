"""``/api/v1/reconciliation``: the daily job's stored results, and running it (operators).

Officials see counts and each exception's class, bank, vendor, amounts and suggested fix;
the switch reference (which embeds the payer's account) and free-text details are operators'.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from merchant_app.api.contract import DAY_2000S_PATTERN, OPERATOR, IsoDay, day_query, errors
from merchant_app.api.officials import OperatorViewer, Viewer, ViewerDep
from merchant_app.deps import ClockDep, EngineDep
from payments.reconciliation.job import (
    FIRST_DAY,
    LAST_DAY,
    MAX_RANGE_DAYS,
    ReconciliationError,
    reconcile_range,
)
from payments.reconciliation.store import public_exception, stored_day, stored_runs

router = APIRouter(
    prefix="/api/v1/reconciliation", tags=["reconciliation"], responses=errors(*OPERATOR)
)
# Days the job accepts (2000..2099), the pattern published; the range rules are 400s.
Day = Annotated[IsoDay, day_query("from", DAY_2000S_PATTERN)]
DayTo = Annotated[IsoDay, day_query("to", DAY_2000S_PATTERN)]
DayPath = Annotated[IsoDay, Path(json_schema_extra={"pattern": DAY_2000S_PATTERN})]


def _check_days(*days: date) -> None:
    for day in days:
        if not FIRST_DAY <= day <= LAST_DAY:
            raise HTTPException(
                status_code=400, detail=f"day {day.isoformat()}: must be {FIRST_DAY}..{LAST_DAY}"
            )


@router.get("/runs", responses=errors(400))
def runs(_who: ViewerDep, engine: EngineDep, first: Day, last: DayTo) -> dict[str, object]:
    """One summary per reconciled day of the range."""
    _check_days(first, last)
    if last < first or (last - first).days + 1 > MAX_RANGE_DAYS:
        raise HTTPException(
            status_code=400, detail=f"range {first}..{last}: 1..{MAX_RANGE_DAYS} days, in order"
        )
    with engine.connect() as connection:
        return {"runs": stored_runs(connection, first, last)}


@router.get("/runs/{day}", responses=errors(400, 404))
def run_of_day(who: ViewerDep, engine: EngineDep, day: DayPath) -> dict[str, object]:
    """One day's summary, exceptions and per-bank settlement checks."""
    _check_days(day)
    with engine.connect() as connection:
        found = stored_day(connection, day)
    if found is None:
        raise HTTPException(status_code=404, detail=f"{day.isoformat()} was not reconciled")
    listed = (
        found.exceptions
        if who is Viewer.OPERATOR
        else [public_exception(row) for row in found.exceptions]
    )
    return {"run": found.run, "exceptions": listed, "settlement": found.settlement}


@router.post("/run", responses=errors(400, 404))
def run(
    _who: OperatorViewer,
    engine: EngineDep,
    clock: ClockDep,
    first: Day,
    last: Annotated[IsoDay | None, day_query("to", DAY_2000S_PATTERN)] = None,
) -> dict[str, object]:
    """Reconcile a day (or a range) now; re-running replaces the stored results."""
    _check_days(first, last or first)
    try:
        summary = reconcile_range(engine, first, last or first, now=clock.now())
    except ReconciliationError as exc:
        raise HTTPException(status_code=exc.status_code, detail=str(exc)) from None
    return {
        "exit_code": summary.exit_code,
        "exceptions_by_kind": summary.counts(),
        "days": [day.day.isoformat() for day in summary.days],
        "days_without_data": [day.isoformat() for day in summary.empty_days],
    }
