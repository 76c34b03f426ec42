"""Builds what the dashboard page and its exports show, from ``dashboard_data``'s SQL figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy.orm import Session

from merchant_app.pages import dashboard_data as data
from merchant_app.pages.charts import Series, bar_chart, line_chart
from merchant_app.pages.dashboard_data import Figures, Level, Scope
from merchant_app.pages.exports import ExportTable
from merchant_app.pages.i18n import Translator
from merchant_app.pages.reconciliation_view import ReconciliationDay, reconciliation_days

# A market is lagging when fewer than this share of its vendors show a QR code (the Đại Từ
# pilot reached 80% in two months; 11 pilot markets averaged 70%).
LAGGING_SHARE_PCT = 60
TARGET_SHARE_PCT = 80
RANKING_MAX_MARKETS = 20

_CHILD = {
    Level.PROVINCE: Level.DISTRICT,
    Level.DISTRICT: Level.COMMUNE,
    Level.COMMUNE: Level.MARKET,
}
_EMPTY = {
    "vendors": 0,
    "vendors_qr": 0,
    "vendors_active": 0,
    "qr_count": 0,
    "qr_value_dong": 0,
    "payers": 0,
    "failures": 0,
}


@dataclass(frozen=True)
class Crumb:
    label: str
    url: str | None


@dataclass(frozen=True)
class ChildRow:
    figures: Figures
    url: str

    def __getattr__(self, name: str) -> object:
        return getattr(self.figures, name)


@dataclass(frozen=True)
class ForecastRow:
    name: str
    share_qr_pct: int
    lagging: bool
    forecast_text: str


@dataclass(frozen=True)
class DashboardView:
    title: str
    breadcrumb: list[Crumb]
    scope_params: dict[str, str]
    date_from: str
    date_to: str
    total: Figures
    children_title: str
    children: list[ChildRow]
    trend_svg: Markup | None
    ranking_svg: Markup | None
    forecasts: list[ForecastRow]
    reconciliation: list[ReconciliationDay] = field(default_factory=list)
    export_url: str = ""


def _figures(key: int, name: str, values: dict[str, int] | None) -> Figures:
    return Figures(key=key, name=name, **{**_EMPTY, **(values or {})})


def _params(level: Level, area_id: int) -> dict[str, str]:
    return {level.value: str(area_id)}


def build(
    session: Session, t: Translator, scope: Scope, date_from: date, date_to: date
) -> DashboardView | None:
    """The whole dashboard for a scope and date range; None when the area does not exist."""
    lineage = data.lineage(session, scope)
    if scope.level is not Level.PROVINCE and not lineage:
        return None
    start, end = data.window(date_from, date_to)
    title = lineage[-1][2] if lineage else t("dash.province")
    breadcrumb = [Crumb(t("dash.province"), "/dashboard" if lineage else None)]
    for index, (level, area_id, name) in enumerate(lineage):
        last = index == len(lineage) - 1
        breadcrumb.append(
            Crumb(name, None if last else "/dashboard?" + urlencode(_params(level, area_id)))
        )
    scope_params = {} if scope.area_id is None else _params(scope.level, scope.area_id)
    dates = {"from": date_from.isoformat(), "to": date_to.isoformat()}
    totals = data.figures(session, scope, Level.PROVINCE, start, end)
    total = _figures(0, title, totals.get(0))
    children: list[ChildRow] = []
    child_level = _CHILD.get(scope.level)
    if child_level is not None:
        per_child = data.figures(session, scope, child_level, start, end)
        for area_id, name in data.area_names(session, child_level, scope):
            url = "/dashboard?" + urlencode({**_params(child_level, area_id), **dates})
            children.append(ChildRow(_figures(area_id, name, per_child.get(area_id)), url))
    series = data.daily(session, scope, start, end)
    trend = None
    if series:
        trend = line_chart(
            t("dash.trend"),
            [d.day.strftime("%d/%m") for d in series],
            [
                Series(t("dash.vendors_qr"), [float(d.vendors_qr_cumulative) for d in series]),
                Series(t("dash.vendors_active"), [float(d.vendors_active) for d in series]),
                Series(t("dash.qr_count"), [float(d.qr_count) for d in series]),
            ],
        )
    markets = _market_figures(session, scope, start, end)
    ranked = sorted(markets, key=lambda f: (-f.share_active_pct, -f.share_qr_pct, f.name))
    ranking = None
    if ranked:
        ranking = bar_chart(
            t("dash.ranking"),
            [(f.name, float(f.share_active_pct)) for f in ranked[:RANKING_MAX_MARKETS]],
            percent=True,
        )
    forecasts = _forecasts(session, t, scope, markets, date_from, date_to)
    return DashboardView(
        title=title,
        breadcrumb=breadcrumb,
        scope_params=scope_params,
        date_from=dates["from"],
        date_to=dates["to"],
        total=total,
        children_title=t(f"dash.level_{child_level.value}") if child_level else "",
        children=children,
        trend_svg=trend,
        ranking_svg=ranking,
        forecasts=forecasts,
        reconciliation=reconciliation_days(session, t, date_from, date_to),
        export_url="/dashboard/export?" + urlencode({**scope_params, **dates}),
    )


def _market_figures(session: Session, scope: Scope, start, end) -> list[Figures]:  # type: ignore[no-untyped-def]
    per_market = data.figures(session, scope, Level.MARKET, start, end)
    return [
        _figures(market_id, name, per_market.get(market_id))
        for market_id, name in data.markets_in(session, scope)
    ]


def _forecasts(
    session: Session,
    t: Translator,
    scope: Scope,
    markets: list[Figures],
    date_from: date,
    date_to: date,
) -> list[ForecastRow]:
    """Lagging markets first, each with when it reaches the target share at the current pace.

    The pace is the vendors who showed their first QR code during the chosen period, per day;
    a straight line is honest for a few weeks ahead and needs no fitted model.
    """
    start, _ = data.window(date_from, date_to)
    before = data.figures(session, scope, Level.MARKET, start - timedelta(days=1), start)
    days = (date_to - date_from).days + 1
    rows = []
    for market in markets:
        had = before.get(market.key, {}).get("vendors_qr", 0)
        gained = market.vendors_qr - had
        rows.append(
            ForecastRow(
                name=market.name,
                share_qr_pct=market.share_qr_pct,
                lagging=market.share_qr_pct < LAGGING_SHARE_PCT,
                forecast_text=_forecast_text(t, market, gained / days, date_to),
            )
        )
    rows.sort(key=lambda r: (not r.lagging, r.share_qr_pct, r.name))
    return rows


def _forecast_text(t: Translator, market: Figures, per_day: float, today: date) -> str:
    needed = -(-TARGET_SHARE_PCT * market.vendors // 100) - market.vendors_qr
    if market.vendors == 0:
        return t("dash.none")
    if needed <= 0:
        return t("dash.target_reached", target=TARGET_SHARE_PCT)
    if per_day <= 0:
        return t("dash.no_progress", target=TARGET_SHARE_PCT)
    when = today + timedelta(days=round(needed / per_day))
    return t("dash.target_on", target=TARGET_SHARE_PCT, date=when.strftime("%d/%m/%Y"))


def export_table(t: Translator, view: DashboardView) -> ExportTable:
    columns = [
        view.children_title or t("dash.market"),
        t("dash.vendors"),
        t("dash.vendors_qr"),
        f"{t('dash.vendors_qr')} (%)",
        t("dash.vendors_active"),
        f"{t('dash.vendors_active')} (%)",
        t("dash.qr_count"),
        f"{t('dash.qr_value')} (đ)",
        t("dash.payers"),
        t("dash.failures"),
    ]
    figures = [row.figures for row in view.children] or [view.total]
    rows: list[list[str | int | float]] = [
        [
            f.name,
            f.vendors,
            f.vendors_qr,
            f.share_qr_pct,
            f.vendors_active,
            f.share_active_pct,
            f.qr_count,
            f.qr_value_dong,
            f.payers,
            f.failures,
        ]
        for f in figures
    ]
    return ExportTable(view.title, columns, rows)
