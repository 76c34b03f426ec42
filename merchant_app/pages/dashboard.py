"""Officials' dashboard (``/dashboard``, roles official and operator, read-only) and its exports.

Province -> district -> commune -> market drill-down of the adoption indicators, a daily trend
chart, a ranking of markets, lagging markets with a forecast, reconciliation by day, and the
same table as CSV, XLSX or PDF. Only GET routes: nothing here can change or move anything.
"""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from merchant_app.deps import ClockDep
from merchant_app.pages import dashboard_view
from merchant_app.pages.dashboard_data import MAX_RANGE_DAYS, VIETNAM, Level, Scope
from merchant_app.pages.exports import FORMATS, to_csv, to_pdf, to_xlsx
from merchant_app.pages.reading import ReadSessionDep
from merchant_app.pages.rendering import render, translator
from merchant_app.pages.security import DashboardUser, PageError

router = APIRouter(include_in_schema=False)

DEFAULT_RANGE_DAYS = 30
AREA_ID_MAX_DIGITS = 9


def _scope(request: Request) -> Scope:
    """The most specific of ?market=, ?commune=, ?district= (ids), or the whole province."""
    for level in (Level.MARKET, Level.COMMUNE, Level.DISTRICT):
        raw = request.query_params.get(level.value)
        if raw is None or raw == "":
            continue
        if not (raw.isascii() and raw.isdigit() and len(raw) <= AREA_ID_MAX_DIGITS):
            raise PageError(400, "error.not_found")
        return Scope(level, int(raw))
    return Scope(Level.PROVINCE)


def _dates(request: Request, today: date) -> tuple[date, date]:
    try:
        date_to = date.fromisoformat(request.query_params.get("to") or today.isoformat())
        default_from = (date_to - timedelta(days=DEFAULT_RANGE_DAYS - 1)).isoformat()
        date_from = date.fromisoformat(request.query_params.get("from") or default_from)
    except ValueError:
        raise PageError(400, "error.date_invalid") from None
    if date_from > date_to or (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise PageError(400, "error.date_invalid")
    return date_from, date_to


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, user: DashboardUser, session: ReadSessionDep, clock: ClockDep
) -> Response:
    scope = _scope(request)
    date_from, date_to = _dates(request, clock.now().astimezone(VIETNAM).date())
    view = dashboard_view.build(session, translator(request), scope, date_from, date_to)
    if view is None:
        raise PageError(404, "error.not_found")
    return render(request, "dashboard/index.html", user=user, view=view)


@router.get("/dashboard/export")
def export(
    request: Request, user: DashboardUser, session: ReadSessionDep, clock: ClockDep
) -> Response:
    fmt = request.query_params.get("format", "csv")
    if fmt not in FORMATS:
        raise PageError(400, "error.not_found")
    scope = _scope(request)
    date_from, date_to = _dates(request, clock.now().astimezone(VIETNAM).date())
    t = translator(request)
    view = dashboard_view.build(session, t, scope, date_from, date_to)
    if view is None:
        raise PageError(404, "error.not_found")
    table = dashboard_view.export_table(t, view)
    if fmt == "csv":
        content = to_csv(table)
    elif fmt == "xlsx":
        content = to_xlsx(table)
    else:
        content = to_pdf(table, f"{view.title} · {date_from.isoformat()} – {date_to.isoformat()}")
    filename = f"marketpay-{scope.level.value}-{date_from}-{date_to}.{fmt}"
    return Response(
        content,
        media_type=FORMATS[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
