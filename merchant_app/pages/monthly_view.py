"""The dashboard's month-by-month table, read from issue 7's stored adoption statistics.

These figures need cash observations (QR share of all sales), payer histories (repeat payers)
and notification delays, which ``marketpay report`` / ``payments.stats`` compute and store; the
page only reads the stored rows of the scope, so it shows what the last refresh computed and
says so when nothing was stored yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from merchant_app.pages.dashboard_data import Scope
from merchant_app.pages.money import format_dong
from payments.stats.report import AdoptionRow, read_adoption
from payments.stats.sources import Level as StatsLevel
from payments.stats.sql import Period

NONE_TEXT = "—"


@dataclass(frozen=True)
class MonthRow:
    month: str
    qr_share_count: str
    qr_share_value: str
    repeat_payers: str
    failure_rate: str
    notify_p95: str
    growth: str
    median_ticket: str


def _pct(value: float | None) -> str:
    return NONE_TEXT if value is None else f"{100 * value:.0f}%"


def _month(row: AdoptionRow) -> MonthRow:
    growth = row.growth_qr_count
    return MonthRow(
        month=row.period_start.strftime("%m/%Y"),
        qr_share_count=_pct(row.qr_share_of_sales_count),
        qr_share_value=_pct(row.qr_share_of_sales_value),
        repeat_payers=f"{row.repeat_payers}/{row.unique_payers}",
        failure_rate=_pct(row.failure_rate),
        notify_p95=NONE_TEXT if row.notify_p95_ms is None else f"{row.notify_p95_ms / 1000:.1f} s",
        growth=NONE_TEXT if growth is None else f"{100 * growth:+.0f}%",
        median_ticket=(
            NONE_TEXT
            if row.median_ticket_dong is None
            else format_dong(round(row.median_ticket_dong))
        ),
    )


def monthly_rows(session: Session, scope: Scope, date_from: date, date_to: date) -> list[MonthRow]:
    rows = read_adoption(
        session.connection(),
        StatsLevel(scope.level.value),
        Period.MONTH,
        first=date_from.replace(day=1),
        last=date_to,
        unit_id=scope.area_id if scope.area_id is not None else 0,
    )
    return [_month(row) for row in rows]
