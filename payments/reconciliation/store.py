"""Stored reconciliation results: writing a day (replacing it) and reading days back.

Officials read these through the API with payer-identifying fields left out (see
``public_exception``); operators see everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, insert, select

from payments.reconciliation.tables import exceptions, runs, settlement_checks

if TYPE_CHECKING:
    from payments.reconciliation.job import DayResult

MAX_LISTED_DAYS = 366
MAX_LISTED_EXCEPTIONS = 10_000


def _ids(values: tuple[object, ...]) -> str:
    return ",".join(str(value) for value in values)[:400]


def store_day(connection: Connection, result: DayResult, now: datetime) -> None:
    """Replace the stored results of ``result.day`` (call inside one transaction)."""
    connection.execute(delete(exceptions).where(exceptions.c.business_day == result.day))
    connection.execute(
        delete(settlement_checks).where(settlement_checks.c.business_day == result.day)
    )
    connection.execute(delete(runs).where(runs.c.business_day == result.day))
    connection.execute(
        insert(runs),
        {
            "business_day": result.day,
            "switch_records": result.switch_records,
            "ledger_credits": result.ledger_credits,
            "notifications": result.notifications,
            "matched": result.matched,
            "exceptions": len(result.discrepancies),
            "settlement_problems": sum(1 for c in result.settlement if c.problem),
            "computed_at": now,
        },
    )
    if result.discrepancies:
        connection.execute(
            insert(exceptions),
            [
                {
                    "business_day": result.day,
                    "kind": item.kind.value,
                    "switch_ref": item.switch_ref,
                    "bank_bin": item.bank_bin,
                    "vendor_id": item.vendor_id,
                    "request_id": item.request_id,
                    "amount_expected_dong": item.amount_expected_dong,
                    "amount_found_dong": item.amount_found_dong,
                    "ledger_transfer_ids": _ids(item.ledger_transfer_ids),
                    "notification_ids": _ids(item.notification_ids),
                    "detail": item.detail[:300],
                    "suggested_fix": item.suggested_fix[:300],
                }
                for item in result.discrepancies
            ],
        )
    if result.settlement:
        connection.execute(
            insert(settlement_checks),
            [
                {
                    "business_day": result.day,
                    "bank_bin": check.bank_bin,
                    "switch_net_dong": check.switch_net_dong,
                    "ledger_net_dong": check.ledger_net_dong,
                    "file_net_dong": check.file_net_dong,
                    "status": check.status.value,
                    "problem": check.problem[:300],
                }
                for check in result.settlement
            ],
        )


@dataclass(frozen=True)
class StoredDay:
    run: dict[str, object]
    exceptions: list[dict[str, object]]
    settlement: list[dict[str, object]]


def _plain(row: object) -> dict[str, object]:
    values = dict(row._mapping)  # type: ignore[attr-defined]
    return {
        key: value.isoformat() if isinstance(value, date | datetime) else value
        for key, value in values.items()
    }


def stored_runs(connection: Connection, first: date, last: date) -> list[dict[str, object]]:
    """One summary per reconciled day in ``first``..``last``, oldest first."""
    query = (
        select(runs)
        .where(runs.c.business_day >= first, runs.c.business_day <= last)
        .order_by(runs.c.business_day)
        .limit(MAX_LISTED_DAYS)
    )
    return [_plain(row) for row in connection.execute(query)]


def stored_day(connection: Connection, day: date) -> StoredDay | None:
    run = connection.execute(select(runs).where(runs.c.business_day == day)).first()
    if run is None:
        return None
    found = connection.execute(
        select(exceptions)
        .where(exceptions.c.business_day == day)
        .order_by(exceptions.c.id)
        .limit(MAX_LISTED_EXCEPTIONS)
    )
    checks = connection.execute(
        select(settlement_checks)
        .where(settlement_checks.c.business_day == day)
        .order_by(settlement_checks.c.bank_bin)
    )
    return StoredDay(_plain(run), [_plain(row) for row in found], [_plain(row) for row in checks])


# Fields an official may see: the switch reference embeds the payer's bank account, and the
# detail may quote a payer's memo, so both stay with operators.
PUBLIC_EXCEPTION_FIELDS = (
    "business_day",
    "kind",
    "bank_bin",
    "vendor_id",
    "request_id",
    "amount_expected_dong",
    "amount_found_dong",
    "suggested_fix",
)


def public_exception(row: dict[str, object]) -> dict[str, object]:
    return {key: row[key] for key in PUBLIC_EXCEPTION_FIELDS}
