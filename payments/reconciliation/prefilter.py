"""The payments of a day that are obviously in order, found in SQL so Python never sees them.

A payment is *clean* when its switch reference has, among the day's records, exactly one switch
record (completed, nothing lost), exactly one ledger credit to a receiving account with the same
amount and within the posting tolerance, exactly one vendor credit record that was attributed,
and exactly one event delivered once within the notification tolerance. Each of those joins
multiplies rows, so "exactly one" is ``COUNT(*) = 1`` on the joined group. This is deliberately
narrower than what ``match.py`` accepts: anything else, including everything merely unusual, is
loaded and judged by the pure matcher. On a normal day well over 99% of payments are clean, so
the job's Python work scales with the exceptions, not with the traffic.

Builds the query only; ``job.py`` runs it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Float, Integer, Select, and_, case, cast, exists, func, select

from ledger.tables import transfers as ledger_transfers
from payments.reconciliation.model import DayWindow, Tolerance
from payments.stats.sql import Period, period_start
from payments.tables import credits, events, receiving_accounts, switch_messages

NS_PER_S = 1_000_000_000
UNIX_EPOCH_JULIAN_DAY = 2440587.5
S_PER_DAY = 86_400.0
COMPLETED = "completed"
UNMATCHED = "unmatched"


def epoch_s(moment: ColumnElement[object], dialect: str) -> ColumnElement[float]:
    """Seconds since 1970 of a timestamp column (to compare with the ledger's nanoseconds)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", moment), Float)
    return cast((func.julianday(moment) - UNIX_EPOCH_JULIAN_DAY) * S_PER_DAY, Float)


def clean_refs(window: DayWindow, tolerance: Tolerance, dialect: str) -> Select[tuple[str, str]]:
    """Switch references of ``window`` whose three sides agree exactly once each, with the
    business day ('YYYY-MM-DD', UTC+7) of their switch record."""
    ledger_s = cast(ledger_transfers.c.timestamp_ns, Float) / NS_PER_S
    switch_s = epoch_s(switch_messages.c.created_at, dialect)
    seen_s = epoch_s(events.c.visible_at, dialect)
    earlier = switch_messages.alias("earlier")
    # A payment first tried before the window is judged with the window that holds that try.
    tried_before = exists().where(
        earlier.c.client_transfer_id == switch_messages.c.client_transfer_id,
        earlier.c.created_at < window.start,
    )
    in_order = and_(
        switch_messages.c.status == COMPLETED,
        switch_messages.c.reason == "",
        ledger_transfers.c.amount_dong == switch_messages.c.amount_dong,
        func.abs(ledger_s - switch_s) <= tolerance.posting_drift_s,
        credits.c.match != UNMATCHED,
        events.c.deliveries == 1,
        seen_s - ledger_s <= tolerance.notification_delay_s,
    )
    return (
        select(
            switch_messages.c.client_transfer_id,
            func.min(period_start(switch_messages.c.created_at, Period.DAY, dialect)),
        )
        .join(
            ledger_transfers, ledger_transfers.c.reference == switch_messages.c.client_transfer_id
        )
        .join(
            receiving_accounts,
            receiving_accounts.c.ledger_account_id == ledger_transfers.c.credit_account_id,
        )
        .join(credits, credits.c.client_transfer_id == switch_messages.c.client_transfer_id)
        .join(events, events.c.credit_id == credits.c.id)
        .where(
            switch_messages.c.created_at >= window.start,
            switch_messages.c.created_at < window.end,
            ~tried_before,
        )
        .group_by(switch_messages.c.client_transfer_id)
        .having(func.count() == 1)
        .having(func.min(case((in_order, 1), else_=0).cast(Integer)) == 1)
    )
