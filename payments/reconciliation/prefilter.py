"""The payments that are obviously in order, found in SQL so Python never sees them.

A payment is *clean* when its vendor credit record (``pay_credits``, attributed) points at a
ledger credit leg to the vendor's receiving account with the switch reference, the switch
amount and a time within the posting tolerance; the switch holds exactly one record of that
reference (completed, nothing lost, paid to that same account) inside the reconciled range;
and exactly one event, delivered once within the notification tolerance, belongs to the
credit. The query walks from the credit along integer keys only: credit -> ledger leg by id,
-> switch record by the credit leg's id the switch wrote on it (migration 0009), -> event by
credit id; the references are compared on the rows found, not looked up. A range holding a
completed switch record without that link (written before 0009, or straight into the table)
is walked by the switch's reference instead, as before (``linked=False``): slower, same
result. Each clean payment becomes a *claim* on four rows (credit, switch record, ledger leg,
event by its credit).

What the claim does not check, the job's load does: any row of the window that no claim holds
(a second ledger leg with the same reference, say) is loaded, and a claim on a reference seen
among those rows is withdrawn and its rows loaded as well (``load.py``). So a claim stands only
when, inside the loaded window, every side holds exactly the claimed rows of that reference:
deliberately narrower than what ``match.py`` accepts, so nothing unusual is skipped.

Builds the queries only; ``load.py`` runs them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from ledger.tables import transfers as ledger_transfers
from payments.reconciliation.model import DayWindow, Tolerance
from payments.stats.sql import VIETNAM_UTC_OFFSET_H, VIETNAM_ZONE
from payments.tables import credits, events, receiving_accounts, switch_messages

NS_PER_S = 1_000_000_000
S_PER_H = 3600
UNIX_EPOCH_JULIAN_DAY = 2440587.5
S_PER_DAY = 86_400
NS_PER_DAY = S_PER_DAY * NS_PER_S
COMPLETED = "completed"
EPOCH_DATE = date(1970, 1, 1)
SQLITE_SECOND_CHARS = 19  # YYYY-MM-DD HH:MM:SS
_T = TypeVar("_T")
UNMATCHED = "unmatched"


def epoch_s(moment: ColumnElement[object], dialect: str) -> ColumnElement[float]:
    """Seconds since 1970 of a timestamp column (to compare with the ledger's nanoseconds)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", moment), Float)
    return cast((func.julianday(moment) - UNIX_EPOCH_JULIAN_DAY) * float(S_PER_DAY), Float)


def day_number(moment: ColumnElement[object], dialect: str) -> ColumnElement[int]:
    """The business day (UTC+7) of a timestamp column, as days since 1970-01-01.

    Through the local calendar date, so a record at exactly midnight is never a day early (the
    seconds of SQLite's julianday() are a double that may fall a hair short). SQLite's date
    functions round to the millisecond, so the fraction of the second ('YYYY-MM-DD HH:MM:SS'
    are SQLAlchemy's first 19 characters) is cut off first: 23:59:59.9999 stays on its day."""
    if dialect == "postgresql":
        local_date = cast(func.timezone(VIETNAM_ZONE, moment), Date)
        return cast(local_date - literal(EPOCH_DATE, Date), Integer)
    whole_seconds = func.substr(moment, 1, SQLITE_SECOND_CHARS)
    local_date_text = func.date(whole_seconds, f"+{VIETNAM_UTC_OFFSET_H} hours")
    # julianday() of a date is N + 0.5, exact in binary floating point.
    return cast(func.julianday(local_date_text) - UNIX_EPOCH_JULIAN_DAY, Integer)


def ledger_day_number(timestamp_ns: ColumnElement[int]) -> ColumnElement[int]:
    """The business day (UTC+7) of a ledger timestamp, as days since 1970-01-01.

    Integer arithmetic on both databases (nanoseconds since 1970 are positive here)."""
    return (timestamp_ns + VIETNAM_UTC_OFFSET_H * S_PER_H * NS_PER_S) // NS_PER_DAY


def unindexed(column: ColumnElement[_T], dialect: str) -> ColumnElement[_T]:
    """``column`` as SQLite's query planner may not use an index for (a unary plus).

    The clean query must walk from the day's credits; given an index on the switch's times or
    the ledger's references SQLite would rather walk the whole range's switch records from each
    day (measured: 140 s against 1M payments, instead of a few)."""
    if dialect != "sqlite":
        return column
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def ns_of_s(seconds: float) -> int:
    return int(seconds * NS_PER_S)


def unlinked_switch_records(span: DayWindow) -> Select[tuple[int]]:
    """One completed switch record of ``span`` that names no ledger leg, if any (then the
    range's clean set is found by reference). A seek in the (link, time) index."""
    return (
        select(switch_messages.c.id)
        .where(
            switch_messages.c.ledger_transfer_id.is_(None),
            switch_messages.c.created_at >= span.start,
            switch_messages.c.created_at < span.end,
            switch_messages.c.status == COMPLETED,
        )
        .limit(1)
    )


def clean_claims(
    window: DayWindow, span: DayWindow, tolerance: Tolerance, dialect: str, *, linked: bool
) -> Select[tuple[int, int, int, int, int]]:
    """Claims (credit id, switch record id, ledger leg id, switch day, ledger day) of the
    clean payments whose vendor credit was recorded in ``window``, with their switch record
    inside ``span`` (the reconciled range). ``linked``: join the switch records by the credit
    leg id they carry (only when every completed record of ``span`` carries one), else by
    reference.

    "Exactly one" switch record and event is ``COUNT(*) = 1`` over the credit's joined rows,
    so every condition on those two sides sits inside the aggregate (a WHERE would hide a
    second record that fails it). A hash aggregate on PostgreSQL, where the two NOT EXISTS
    probes it replaces ran serially after the parallel part (5.5 of 9.1 s against 1M)."""
    ledger_s = cast(ledger_transfers.c.timestamp_ns, Float) / NS_PER_S
    switch_s = epoch_s(switch_messages.c.created_at, dialect)
    seen_s = epoch_s(events.c.visible_at, dialect)
    drift = timedelta(seconds=tolerance.posting_drift_s)
    switch_at = unindexed(switch_messages.c.created_at, dialect)
    ledger_at = unindexed(ledger_transfers.c.timestamp_ns, dialect)
    switch_key: ColumnElement[object]
    credit_key: ColumnElement[object]
    if linked:
        switch_key, credit_key = switch_messages.c.ledger_transfer_id, credits.c.ledger_transfer_id
    else:
        switch_key, credit_key = switch_messages.c.client_transfer_id, credits.c.client_transfer_id
    in_order = and_(
        # Here, not in the join: PostgreSQL multiplies the selectivity of both join keys of a
        # leg (its id and reference), expects one row, and plans serial nested loops.
        ledger_transfers.c.reference == credits.c.client_transfer_id,
        switch_messages.c.client_transfer_id == credits.c.client_transfer_id,
        switch_messages.c.status == COMPLETED,
        switch_messages.c.reason == "",
        switch_messages.c.payee_bin == receiving_accounts.c.bank_bin,
        switch_messages.c.payee_account == receiving_accounts.c.account_number,
        ledger_transfers.c.amount_dong == switch_messages.c.amount_dong,
        func.abs(ledger_s - switch_s) <= tolerance.posting_drift_s,
        events.c.deliveries == 1,
        seen_s - ledger_s <= tolerance.notification_delay_s,
    )
    return (
        select(
            credits.c.id,
            func.min(switch_messages.c.id),
            func.min(ledger_transfers.c.id),
            func.min(day_number(switch_messages.c.created_at, dialect)),
            func.min(ledger_day_number(ledger_transfers.c.timestamp_ns)),
        )
        .select_from(credits)
        .join(ledger_transfers, ledger_transfers.c.id == credits.c.ledger_transfer_id)
        .join(
            receiving_accounts,
            receiving_accounts.c.ledger_account_id == ledger_transfers.c.credit_account_id,
        )
        .join(switch_messages, switch_key == credit_key)
        .join(events, events.c.credit_id == credits.c.id)
        .where(
            credits.c.created_at >= window.start,
            credits.c.created_at < window.end,
            credits.c.match != UNMATCHED,
            switch_at >= span.start,
            switch_at < span.end,
            # Redundant with the drift check; bounds the ledger read to the range.
            ledger_at >= ns_of_s((span.start - drift).timestamp()),
            ledger_at < ns_of_s((span.end + drift).timestamp()),
        )
        .group_by(credits.c.id)
        .having(func.count() == 1)
        .having(func.min(case((in_order, 1), else_=0)) == 1)
    )
