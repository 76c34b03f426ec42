"""Reconciliation status per day for the dashboard, read from issue 7's stored results.

``marketpay reconcile`` (``payments.reconciliation.job``) stores one run per business day with
its exceptions and per-bank settlement checks; this module only reads them. A day without a run
is shown as "not reconciled", never as clean. Exceptions carry ids, amounts, the bank and the
suggested fix; the stored rows hold no buyer name, phone or account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from merchant_app.pages.i18n import Translator
from merchant_app.pages.money import format_dong
from payments.reconciliation.tables import exceptions, runs, settlement_checks

EXCEPTIONS_SHOWN_PER_DAY_MAX = 20


@dataclass(frozen=True)
class ReconciliationDay:
    date: str
    reconciled: bool
    matched: int = 0
    exception_count: int = 0
    exceptions: list[str] = field(default_factory=list)


def reconciliation_days(
    session: Session, t: Translator, date_from: date, date_to: date
) -> list[ReconciliationDay]:
    """One row per day in the range that has payments or a run, newest first."""
    stored = {
        row.business_day: row
        for row in session.execute(
            select(runs).where(runs.c.business_day >= date_from, runs.c.business_day <= date_to)
        )
    }
    days = []
    for day in sorted(stored, reverse=True):
        run = stored[day]
        problems = _exception_lines(session, t, day) + _settlement_lines(session, t, day)
        total = int(run.exceptions) + int(run.settlement_problems)
        days.append(
            ReconciliationDay(
                date=day.strftime("%d/%m/%Y"),
                reconciled=True,
                matched=int(run.matched),
                exception_count=total,
                exceptions=problems,
            )
        )
    return days


def _exception_lines(session: Session, t: Translator, day: date) -> list[str]:
    rows = session.execute(
        select(exceptions)
        .where(exceptions.c.business_day == day)
        .order_by(exceptions.c.kind, exceptions.c.id)
        .limit(EXCEPTIONS_SHOWN_PER_DAY_MAX)
    ).all()
    lines = []
    for row in rows:
        parts = [t(f"recon.{row.kind}")]
        if row.switch_ref:
            parts.append(f"{t('recon.ref')} {row.switch_ref}")
        if row.bank_bin:
            parts.append(f"{t('vendor.bank')} {row.bank_bin}")
        if row.amount_expected_dong is not None or row.amount_found_dong is not None:
            expected = format_dong(row.amount_expected_dong or 0)
            found = format_dong(row.amount_found_dong or 0)
            parts.append(t("recon.amounts", expected=expected, found=found))
        if row.suggested_fix:
            parts.append(f"{t('recon.fix')}: {row.suggested_fix}")
        lines.append(" · ".join(parts))
    total = session.execute(
        select(func.count()).select_from(exceptions).where(exceptions.c.business_day == day)
    ).scalar_one()
    if total > len(rows):
        lines.append(t("recon.more", count=total - len(rows)))
    return lines


def _settlement_lines(session: Session, t: Translator, day: date) -> list[str]:
    rows = session.execute(
        select(settlement_checks)
        .where(settlement_checks.c.business_day == day, settlement_checks.c.status != "ok")
        .order_by(settlement_checks.c.bank_bin)
    ).all()
    return [
        t("recon.settlement", bank=row.bank_bin, status=row.status, problem=row.problem)
        for row in rows
    ]
