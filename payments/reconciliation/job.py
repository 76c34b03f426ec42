"""The daily reconciliation job: load a business day from every side, match, store, report.

The only module of reconciliation that does I/O. Sources, per Vietnamese business day (UTC+7):
the switch's messages (``pay_switch_messages``), the ledger's credit legs to vendors'
receiving accounts (``ledger_transfers``), the merchant side (``pay_events`` with their
delivery counts, ``pay_requests``, unmatched ``pay_credits``), and each bank's settlement CSV.
Payments to accounts that are not registered vendors have no merchant side and are out of
scope. Re-running a day replaces its stored results in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, MetaData, Select, String, Table, func, select

from ledger.tables import transfers as ledger_transfers
from payments.reconciliation.match import DayRows, match_day
from payments.reconciliation.model import (
    CreditRow,
    DayWindow,
    Discrepancy,
    NotificationRow,
    RequestRow,
    SwitchRow,
    SwitchStatus,
    Tolerance,
    UnmatchedCreditRow,
)
from payments.reconciliation.prefilter import clean_refs
from payments.reconciliation.settlement_check import (
    MAX_SETTLEMENT_FILE_BYTES,
    BankSettlement,
    CorruptSettlementFile,
    FileNet,
    as_discrepancy,
    check_bank,
    parse_settlement_file,
    settlement_file_name,
)
from payments.reconciliation.store import store_day
from payments.reconciliation.tables import REF_MAX_CHARS
from payments.settlement import business_day_window, settlement_for_day
from payments.tables import (
    banks,
    credits,
    events,
    payment_requests,
    receiving_accounts,
    switch_messages,
)

EXIT_CLEAN = 0
EXIT_EXCEPTIONS = 1
EXIT_ERROR = 2
MAX_RANGE_DAYS = 366
# Rows this far either side of the day are loaded too, so a payment straddling midnight is
# matched whole (and reported late) instead of appearing as two missing halves. A posting even
# later than this is still reported, as missing on both days. Every row loaded twice costs time.
LOAD_SLACK_S = 2 * 3600
NS_PER_S = 1_000_000_000
REPLY_LOST_REASON = "reply_lost"
IN_LIST_MAX_ITEMS = 5000  # SQLite allows 32766 bound parameters, PostgreSQL 65535


class ReconciliationError(Exception):
    """Bad input to the job (a date, a range, a day without records); names the problem."""

    status_code = 400
    code = "reconciliation_error"


class NoDataForDay(ReconciliationError):
    status_code = 404
    code = "no_data"


def parse_business_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReconciliationError(
            f"date {text!r}: expected YYYY-MM-DD (for example 2026-05-01)"
        ) from None


@dataclass(frozen=True)
class DayResult:
    day: date
    switch_records: int
    ledger_credits: int
    notifications: int
    matched: int
    discrepancies: list[Discrepancy]
    settlement: list[BankSettlement]

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(item.kind.value for item in self.discrepancies).items()))


@dataclass
class RunSummary:
    days: list[DayResult] = field(default_factory=list)
    empty_days: list[date] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_EXCEPTIONS if any(day.discrepancies for day in self.days) else EXIT_CLEAN

    def counts(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for day in self.days:
            total.update(day.counts())
        return dict(sorted(total.items()))


def reconcile_range(
    engine: Engine,
    first: date,
    last: date,
    *,
    now: datetime,
    settlement_dir: Path | None = None,
    tolerance: Tolerance | None = None,
) -> RunSummary:
    """Reconcile every day of ``first``..``last``; days without any record are listed, skipped."""
    if last < first:
        raise ReconciliationError(f"range {first}..{last}: the end is before the start")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ReconciliationError(f"range {first}..{last}: longer than {MAX_RANGE_DAYS} days")
    summary = RunSummary()
    day = first
    while day <= last:
        try:
            summary.days.append(
                reconcile_day(
                    engine, day, now=now, settlement_dir=settlement_dir, tolerance=tolerance
                )
            )
        except NoDataForDay:
            summary.empty_days.append(day)
        day += timedelta(days=1)
    if not summary.days:
        raise NoDataForDay(f"no payment records between {first} and {last}")
    return summary


def reconcile_day(
    engine: Engine,
    day: date,
    *,
    now: datetime,
    settlement_dir: Path | None = None,
    tolerance: Tolerance | None = None,
) -> DayResult:
    """Match one business day, store the results (replacing earlier ones) and return them."""
    start, end = business_day_window(day)
    window = DayWindow(start, end)
    tol = tolerance or Tolerance()
    with engine.connect() as connection:
        counts = _day_counts(connection, window)
        if not any(counts):
            raise NoDataForDay(f"no payment records on {day.isoformat()}")
        with _clean_set(connection, window, tol) as clean:
            rows = _load_day(connection, window, clean)
            clean_count = connection.execute(select(func.count()).select_from(clean)).scalar_one()
        found = match_day(rows, tol)
        settled = _check_settlement(connection, day, window, settlement_dir)
    found += [item for item in map(as_discrepancy, settled) if item is not None]
    in_day = [row for row in rows.switch if window.contains(row.at)]
    result = DayResult(
        day=day,
        switch_records=counts[0],
        ledger_credits=counts[1],
        notifications=counts[2],
        matched=clean_count + _matched(in_day, found),
        discrepancies=found,
        settlement=settled,
    )
    with engine.begin() as connection:
        store_day(connection, result, now)
    return result


def _matched(in_day: list[SwitchRow], found: list[Discrepancy]) -> int:
    completed = {row.switch_ref for row in in_day if row.status is SwitchStatus.OK}
    flagged = {item.switch_ref for item in found}
    return len(completed - flagged)


def _at(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _switch_status(status: str, reason: str) -> SwitchStatus:
    if status == "completed":
        # The money moved but the payer was told "no answer": the switch's answer was a timeout.
        return SwitchStatus.TIMEOUT if reason == REPLY_LOST_REASON else SwitchStatus.OK
    if status == "duplicate":
        return SwitchStatus.CONFIRMED
    if status == "timeout":
        return SwitchStatus.TIMEOUT
    return SwitchStatus.FAILED


def _day_counts(connection: Connection, window: DayWindow) -> tuple[int, int, int]:
    """Switch records, ledger credits to vendors and notification deliveries of the day."""
    payee = (receiving_accounts.c.bank_bin == switch_messages.c.payee_bin) & (
        receiving_accounts.c.account_number == switch_messages.c.payee_account
    )
    switch_count = connection.execute(
        select(func.count())
        .select_from(switch_messages)
        .join(receiving_accounts, payee)
        .where(
            switch_messages.c.created_at >= window.start, switch_messages.c.created_at < window.end
        )
    ).scalar_one()
    lo_ns, hi_ns = _ns(window.start), _ns(window.end)
    credit_count = connection.execute(
        select(func.count())
        .select_from(ledger_transfers)
        .join(
            receiving_accounts,
            receiving_accounts.c.ledger_account_id == ledger_transfers.c.credit_account_id,
        )
        .where(ledger_transfers.c.timestamp_ns >= lo_ns, ledger_transfers.c.timestamp_ns < hi_ns)
    ).scalar_one()
    delivered = connection.execute(
        select(func.coalesce(func.sum(events.c.deliveries), 0)).where(
            events.c.visible_at >= window.start, events.c.visible_at < window.end
        )
    ).scalar_one()
    return int(switch_count), int(credit_count), int(delivered)


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * NS_PER_S + moment.microsecond * 1000


@contextmanager
def _clean_set(connection: Connection, window: DayWindow, tol: Tolerance) -> Iterator[Table]:
    """The day's clean references (prefilter.py) in a TEMPORARY table of this connection."""
    table = Table(
        "recon_clean_refs",
        MetaData(),
        Column("ref", String(REF_MAX_CHARS), primary_key=True),
        prefixes=["TEMPORARY"],
    )
    table.create(connection)
    try:
        connection.execute(
            table.insert().from_select(["ref"], clean_refs(window, tol, connection.dialect.name))
        )
        yield table
    finally:
        table.drop(connection)


def _load_day(connection: Connection, window: DayWindow, clean: Table) -> DayRows:
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
            _at(row.created_at),
            _switch_status(row.status, row.reason),
            row.payer_bin,
            row.payee_bin,
            row.vendor_id,
        )
        for row in connection.execute(
            select(switch_messages, receiving_accounts.c.vendor_id)
            .join(receiving_accounts, payee)
            .where(switch_messages.c.created_at >= lo, switch_messages.c.created_at < hi)
            .where(switch_messages.c.client_transfer_id.not_in(known))
        )
    ]
    lo_ns, hi_ns = _ns(lo), _ns(hi)
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
            .where(ledger_transfers.c.reference.not_in(known))
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
        _load_notifications(connection, lo, hi, known),
        requests,
        _load_unmatched(connection, lo, hi),
        frozenset(clean_paid),
    )


def _load_notifications(
    connection: Connection, lo: datetime, hi: datetime, known: Select[tuple[str]]
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
        .where(credits.c.client_transfer_id.not_in(known))
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
                    _at(row.visible_at),
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
            _at(row.created_at),
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
            row.client_transfer_id, row.memo, row.amount_dong, _at(row.created_at), row.vendor_id
        )
        for row in connection.execute(query)
    ]


def _ledger_nets(connection: Connection, window: DayWindow) -> dict[int, int]:
    """Net interbank movement (received − paid) of each settlement account during the day."""
    settlement_ids = [row[0] for row in connection.execute(select(banks.c.settlement_account_id))]
    lo_ns, hi_ns = _ns(window.start), _ns(window.end)
    between = (
        ledger_transfers.c.debit_account_id.in_(settlement_ids)
        & ledger_transfers.c.credit_account_id.in_(settlement_ids)
        & (ledger_transfers.c.timestamp_ns >= lo_ns)
        & (ledger_transfers.c.timestamp_ns < hi_ns)
    )
    nets: Counter[int] = Counter()
    for column, sign in (
        (ledger_transfers.c.credit_account_id, 1),
        (ledger_transfers.c.debit_account_id, -1),
    ):
        query = (
            select(column, func.sum(ledger_transfers.c.amount_dong)).where(between).group_by(column)
        )
        for account_id, total in connection.execute(query):
            nets[account_id] += sign * int(total)
    return dict(nets)


def _check_settlement(
    connection: Connection, day: date, window: DayWindow, settlement_dir: Path | None
) -> list[BankSettlement]:
    switch_nets = {
        p.bank_bin: p.net_position_dong for p in settlement_for_day(connection, day).positions
    }
    ledger_nets = _ledger_nets(connection, window)
    checks = []
    for bank_bin, account_id in connection.execute(
        select(banks.c.bin, banks.c.settlement_account_id).order_by(banks.c.bin)
    ):
        file_net, problem = None, None
        if settlement_dir is not None:
            path = settlement_dir / settlement_file_name(day, bank_bin)
            try:
                file_net = _read_settlement_file(path, day, bank_bin)
            except CorruptSettlementFile as exc:
                problem = f"{path.name}: {exc}"
        checks.append(
            check_bank(
                bank_bin,
                switch_net_dong=switch_nets.get(bank_bin, 0),
                ledger_net_dong=ledger_nets.get(account_id, 0),
                file_net=file_net,
                file_problem=problem,
            )
        )
    return checks


def _read_settlement_file(path: Path, day: date, bank_bin: str) -> FileNet | None:
    if not path.exists():
        return None
    if path.stat().st_size > MAX_SETTLEMENT_FILE_BYTES:
        raise CorruptSettlementFile(f"larger than {MAX_SETTLEMENT_FILE_BYTES} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CorruptSettlementFile(f"not UTF-8 text (byte {exc.start})") from None
    return parse_settlement_file(text, day=day, bank_bin=bank_bin)
