"""Reconciliation status per day for the dashboard (filled from issue 7's stored results)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from merchant_app.pages.i18n import Translator


@dataclass(frozen=True)
class ReconciliationDay:
    date: str
    exceptions: list[str] = field(default_factory=list)


def reconciliation_days(
    session: Session, t: Translator, date_from: date, date_to: date
) -> list[ReconciliationDay]:
    return []
