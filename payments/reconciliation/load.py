"""Reading one business day of records from every side (the job's input), in SQL.

Rows from ``LOAD_SLACK_S`` either side of the day are read too, so a payment straddling
midnight is matched whole. Payments found clean by ``prefilter.py`` stay in a TEMPORARY table
and are left out of every list: Python only sees what might be wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Float,
    MetaData,
    Select,
    String,
    Table,
    cast,
    exists,
    func,
    select,
    text,
)

from ledger.tables import transfers as ledger_transfers
from payments.clock import as_utc
from payments.reconciliation.match import DayRows
from payments.reconciliation.model import (
    CreditRow,
    DayWindow,
    NotificationRow,
    RequestRow,
    SwitchRow,
    SwitchStatus,
    Tolerance,
    UnmatchedCreditRow,
)
from payments.reconciliation.prefilter import clean_refs
from payments.reconciliation.tables import REF_MAX_CHARS
from payments.stats.sql import VIETNAM_UTC_OFFSET_H, VIETNAM_ZONE, Period, period_start
from payments.tables import (
    credits,
    events,
    payment_requests,
    receiving_accounts,
    switch_messages,
)

# Rows this far either side of the day are loaded too, so a payment straddling midnight is
# matched whole (and reported late) instead of appearing as two missing halves. A posting even
# later than this is still reported, as missing on both days. Every row loaded twice costs time.
LOAD_SLACK_S = 2 * 3600
NS_PER_S = 1_000_000_000
REPLY_LOST_REASON = "reply_lost"
IN_LIST_MAX_ITEMS = 5000  # SQLite allows 32766 bound parameters, PostgreSQL 65535
DAY_CHARS = 10  # YYYY-MM-DD


def _switch_status(status: str, reason: str) -> SwitchStatus:
    if status == "completed":
        # The money moved but the payer was told "no answer": the switch's answer was a timeout.
        return SwitchStatus.TIMEOUT if reason == REPLY_LOST_REASON else SwitchStatus.OK
    if status == "duplicate":
        return SwitchStatus.CONFIRMED
    if status == "timeout":
        return SwitchStatus.TIMEOUT
    return SwitchStatus.FAILED


def _ledger_day(timestamp_ns: ColumnElement[int], dialect: str) -> ColumnElement[str]:
    """The business day ('YYYY-MM-DD', UTC+7) of a ledger timestamp in nanoseconds."""
    seconds = cast(timestamp_ns, Float) / NS_PER_S
    if dialect == "postgresql":
        local = func.timezone(VIETNAM_ZONE, func.to_timestamp(seconds))
        return func.to_char(local, "YYYY-MM-DD")
    return func.date(seconds, "unixepoch", f"+{VIETNAM_UTC_OFFSET_H} hours")


def day_counts(connection: Connection, window: DayWindow) -> dict[date, tuple[int, int, int]]:
    """Per business day of ``window``: switch records, ledger credits to vendors, deliveries."""
    dialect = connection.dialect.name
    payee = (receiving_accounts.c.bank_bin == switch_messages.c.payee_bin) & (
        receiving_accounts.c.account_number == switch_messages.c.payee_account
    )
    switch_day = period_start(switch_messages.c.created_at, Period.DAY, dialect)
    switch_counts = connection.execute(
        select(switch_day, func.count())
        .select_from(switch_messages)
        .join(receiving_accounts, payee)
        .where(
            switch_messages.c.created_at >= window.start, switch_messages.c.created_at < window.end
        )
        .group_by(switch_day)
    ).all()
    ledger_day = _ledger_day(ledger_transfers.c.timestamp_ns, dialect)
    credit_counts = connection.execute(
        select(ledger_day, func.count())
        .select_from(ledger_transfers)
        .join(
            receiving_accounts,
            receiving_accounts.c.ledger_account_id == ledger_transfers.c.credit_account_id,
        )
        .where(
            ledger_transfers.c.timestamp_ns >= ns_of(window.start),
            ledger_transfers.c.timestamp_ns < ns_of(window.end),
        )
        .group_by(ledger_day)
    ).all()
    event_day = period_start(events.c.visible_at, Period.DAY, dialect)
    delivered = connection.execute(
        select(event_day, func.sum(events.c.deliveries))
        .where(events.c.visible_at >= window.start, events.c.visible_at < window.end)
        .group_by(event_day)
    ).all()
    counts: dict[date, list[int]] = {}
    for position, pairs in enumerate((switch_counts, credit_counts, delivered)):
        for day_text, count in pairs:
            counts.setdefault(date.fromisoformat(str(day_text)), [0, 0, 0])[position] = int(count)
    return {day: (found[0], found[1], found[2]) for day, found in counts.items()}


def ns_of(moment: datetime) -> int:
    return int(moment.timestamp()) * NS_PER_S + moment.microsecond * 1000


@contextmanager
def clean_set(connection: Connection, window: DayWindow, tol: Tolerance) -> Iterator[Table]:
    """The window's clean references (prefilter.py), with their business day, in a TEMPORARY
    table of this connection."""
    table = Table(
        "recon_clean_refs",
        MetaData(),
        Column("ref", String(REF_MAX_CHARS), primary_key=True),
        Column("day", String(DAY_CHARS), nullable=False),
        prefixes=["TEMPORARY"],
    )
    try:
        _fill_clean(connection, table, clean_refs(window, tol, connection.dialect.name))
        # NOT EXISTS against it must plan as a hash anti-join: give PostgreSQL its size.
        connection.execute(text(f"ANALYZE {table.name}"))
        yield table
    finally:
        table.drop(connection, checkfirst=True)


def _fill_clean(connection: Connection, table: Table, found: Select[tuple[str, str]]) -> None:
    if connection.dialect.name == "postgresql":
        # CREATE TABLE ... AS may use parallel workers; INSERT ... SELECT never does.
        rows = found.subquery()
        create = select(rows.c[0].label("ref"), rows.c[1].label("day"))
        connection.execute(create.into(table.name, temporary=True))
        return
    table.create(connection)
    connection.execute(table.insert().from_select(["ref", "day"], found))


def clean_counts(connection: Connection, clean: Table) -> dict[date, int]:
    query = select(clean.c.day, func.count()).group_by(clean.c.day)
    return {date.fromisoformat(str(day)): int(n) for day, n in connection.execute(query)}


def load_day(connection: Connection, window: DayWindow, clean: Table) -> DayRows:
    """Everything not clean in ``window`` (one day or a range) and its slack."""
    lo = window.start - timedelta(seconds=LOAD_SLACK_S)
    hi = window.end + timedelta(seconds=LOAD_SLACK_S)
    known = select(clean.c.ref)
    payee = (receiving_accounts.c.bank_bin == switch_messages.c.payee_bin) & (
        receiving_accounts.c.account_number == switch_messages.c.payee_account
    )
    switch = [
        SwitchRow(
            row.client_transfer_id,
            row.amount_dong,
            as_utc(row.created_at),
            _switch_status(row.status, row.reason),
            row.payer_bin,
            row.payee_bin,
            row.vendor_id,
        )
        for row in connection.execute(
            select(switch_messages, receiving_accounts.c.vendor_id)
            .join(receiving_accounts, payee)
            .where(switch_messages.c.created_at >= lo, switch_messages.c.created_at < hi)
            .where(~exists().where(clean.c.ref == switch_messages.c.client_transfer_id))
        )
    ]
    lo_ns, hi_ns = ns_of(lo), ns_of(hi)
    credit_rows = [
        CreditRow(
            row.id,
            row.reference,
            row.amount_dong,
            datetime.fromtimestamp(row.timestamp_ns / NS_PER_S, UTC),
            row.bank_bin,
            row.vendor_id,
            row.memo,
        )
        for row in connection.execute(
            select(
                ledger_transfers.c.id,
                ledger_transfers.c.reference,
                ledger_transfers.c.amount_dong,
                ledger_transfers.c.timestamp_ns,
                ledger_transfers.c.memo,
                receiving_accounts.c.bank_bin,
                receiving_accounts.c.vendor_id,
            )
            .join(
                receiving_accounts,
                receiving_accounts.c.ledger_account_id == ledger_transfers.c.credit_account_id,
            )
            .where(
                ledger_transfers.c.timestamp_ns >= lo_ns, ledger_transfers.c.timestamp_ns < hi_ns
            )
            .where(~exists().where(clean.c.ref == ledger_transfers.c.reference))
        )
    ]
    requests = _load_requests(connection, lo, hi)
    paid_refs = sorted({ref for request in requests for ref in request.paid_switch_refs})
    # Only the clean payments that some request points at are needed by the matcher.
    clean_paid = {
        ref
        for start in range(0, len(paid_refs), IN_LIST_MAX_ITEMS)
        for ref in connection.execute(
            known.where(clean.c.ref.in_(paid_refs[start : start + IN_LIST_MAX_ITEMS]))
        ).scalars()
    }
    return DayRows(
        window,
        switch,
        credit_rows,
        _load_notifications(connection, lo, hi, clean),
        requests,
        _load_unmatched(connection, lo, hi),
        frozenset(clean_paid),
    )


def _load_notifications(
    connection: Connection, lo: datetime, hi: datetime, clean: Table
) -> list[NotificationRow]:
    found = []
    query = (
        select(
            events.c.event_id,
            events.c.amount_dong,
            events.c.visible_at,
            events.c.deliveries,
            credits.c.client_transfer_id,
        )
        .join(credits, credits.c.id == events.c.credit_id)
        .where(credits.c.created_at >= lo, credits.c.created_at < hi)
        .where(~exists().where(clean.c.ref == credits.c.client_transfer_id))
    )
    for row in connection.execute(query):
        # A bank that notifies twice gives the vendor two deliveries of one event.
        for copy in range(max(row.deliveries, 1)):
            found.append(
                NotificationRow(
                    f"{row.event_id}#{copy + 1}",
                    row.event_id,
                    row.client_transfer_id,
                    row.amount_dong,
                    as_utc(row.visible_at),
                )
            )
    return found


def _load_requests(connection: Connection, lo: datetime, hi: datetime) -> list[RequestRow]:
    paid_refs: dict[int, list[str]] = {}
    linked = select(credits.c.request_id, credits.c.client_transfer_id).where(
        credits.c.request_id.is_not(None), credits.c.created_at >= lo, credits.c.created_at < hi
    )
    for row in connection.execute(linked):
        paid_refs.setdefault(row.request_id, []).append(row.client_transfer_id)
    query = select(payment_requests).where(
        (payment_requests.c.created_at >= lo) & (payment_requests.c.created_at < hi)
        | payment_requests.c.id.in_(list(paid_refs))
    )
    return [
        RequestRow(
            row.id,
            row.reference,
            row.amount_dong,
            "paid" if row.paid_dong > 0 else "pending",
            as_utc(row.created_at),
            row.vendor_id,
            tuple(sorted(paid_refs.get(row.id, []))),
        )
        for row in connection.execute(query)
    ]


def _load_unmatched(connection: Connection, lo: datetime, hi: datetime) -> list[UnmatchedCreditRow]:
    query = select(credits).where(
        credits.c.match == "unmatched", credits.c.created_at >= lo, credits.c.created_at < hi
    )
    return [
        UnmatchedCreditRow(
            row.client_transfer_id, row.memo, row.amount_dong, as_utc(row.created_at), row.vendor_id
        )
        for row in connection.execute(query)
    ]


def slice_day(rows: DayRows, window: DayWindow) -> DayRows:
    """The rows of a range that one day's matching needs: its slack for switch records and
    credits, exactly the day for requests and unmatched credits (so none is reported twice),
    and the notifications of the day's credits (or of no credit at all, seen that day)."""
    lo = window.start - timedelta(seconds=LOAD_SLACK_S)
    hi = window.end + timedelta(seconds=LOAD_SLACK_S)
    day_credits = [row for row in rows.credits if lo <= row.at < hi]
    day_refs = {row.switch_ref for row in day_credits}
    every_ref = {row.switch_ref for row in rows.credits}
    return DayRows(
        window,
        [row for row in rows.switch if lo <= row.at < hi],
        day_credits,
        [
            row
            for row in rows.notifications
            if row.switch_ref in day_refs
            or (row.switch_ref not in every_ref and window.contains(row.at))
        ],
        [row for row in rows.requests if window.contains(row.created_at)],
        [row for row in rows.unmatched_credits if window.contains(row.at)],
        rows.clean_refs,
    )
