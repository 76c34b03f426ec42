"""Builds what the dashboard page and its exports show, from ``dashboard_data``'s SQL figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy.orm import Session

from merchant_app.pages import dashboard_data as data
from merchant_app.pages import dashboard_series as series_data
from merchant_app.pages.charts import Series, bar_chart, line_chart
from merchant_app.pages.dashboard_data import Figures, Level, Scope
from merchant_app.pages.exports import ExportTable
from merchant_app.pages.i18n import Translator
from merchant_app.pages.monthly_view import MonthRow, monthly_rows
from merchant_app.pages.reconciliation_view import ReconciliationDay, reconciliation_days
from payments.stats.forecast import ForecastError, MarketForecast, forecast_market

# A market lags when its fitted curve does not reach 80% of vendors with QR within this many
# days after the period shown (the Đại Từ pilot reached 80% in about two months).
FORECAST_TARGET_DAYS = 90
# Fewer vendors than this give a curve with more noise than signal; say so instead of a date.
FORECAST_MIN_VENDORS = 5
TARGET_SHARE_PCT = 80  # the share the forecast dates are for (as payments.stats.forecast)
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
    months: list[MonthRow] = field(default_factory=list)
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
    series = series_data.daily(session, scope, start, end)
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
        months=monthly_rows(session, scope, date_from, date_to),
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
    """Lagging markets first, each with the Bass-diffusion forecast of issue 7's statistics.

    The adopter series is read with SQL (vendors showing a QR code by the end of each day);
    ``payments.stats.forecast`` fits p, q, m and projects the 80% and 100% dates.
    """
    start, end = data.window(date_from, date_to)
    series = series_data.adopter_series(session, scope, start, end)
    target = date_to + timedelta(days=FORECAST_TARGET_DAYS)
    rows = []
    for market in markets:
        forecast = None
        if market.vendors >= FORECAST_MIN_VENDORS:
            points = series.get(market.key, [])
            try:
                forecast = forecast_market(
                    market.key, market.name, market.vendors, points, target=target
                )
            except ForecastError:
                forecast = None
        rows.append(
            ForecastRow(
                name=market.name,
                share_qr_pct=market.share_qr_pct,
                lagging=forecast.lagging if forecast else market.share_qr_pct < TARGET_SHARE_PCT,
                forecast_text=_forecast_text(t, forecast),
            )
        )
    rows.sort(key=lambda r: (not r.lagging, r.share_qr_pct, r.name))
    return rows


def _forecast_text(t: Translator, forecast: MarketForecast | None) -> str:
    if forecast is None or forecast.fit is None:
        return t("dash.too_little_data")
    fit = forecast.fit
    model = t(
        "dash.bass_fit",
        p=f"{fit.p:.4f}",
        q=f"{fit.q:.3f}",
        m=f"{fit.m:.0f}",
        error=f"{100 * fit.nrmse:.0f}",
    )
    if forecast.date_80 is None:
        return t("dash.levels_off", m=f"{fit.m:.0f}", vendors=forecast.vendors) + " · " + model
    when_100 = forecast.date_100.strftime("%d/%m/%Y") if forecast.date_100 else "—"
    return (
        t("dash.target_dates", date_80=forecast.date_80.strftime("%d/%m/%Y"), date_100=when_100)
        + " · "
        + model
    )


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
