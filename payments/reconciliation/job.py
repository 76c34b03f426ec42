"""The daily reconciliation job: load a business day from every side, match, store, report.

With ``load.py`` (reads the day) and ``store.py`` (writes results), the I/O of reconciliation.
Sources, per Vietnamese business day (UTC+7): the switch's messages (``pay_switch_messages``),
the ledger's credit legs to vendors' receiving accounts (``ledger_transfers``), the merchant
side (``pay_events`` with their delivery counts, ``pay_requests``, unmatched ``pay_credits``),
and each bank's settlement CSV. Payments to accounts that are not registered vendors have no
merchant side and are out of scope. Re-running a day replaces its stored results in one
transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

from ledger.tables import transfers as ledger_transfers
from payments.reconciliation.claims import mapped_reads
from payments.reconciliation.load import (
    delivered_counts,
    load_range,
    ns_of,
    slice_day,
)
from payments.reconciliation.match import match_day
from payments.reconciliation.model import (
    DayWindow,
    Discrepancy,
    SwitchRow,
    SwitchStatus,
    Tolerance,
)
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
from payments.settlement import business_day_window, settlement_for_day
from payments.stats.bulk import POSTGRES_RECON_WORK_MEM_MIB, bulk_session
from payments.tables import (
    banks,
)

EXIT_CLEAN = 0
EXIT_EXCEPTIONS = 1
EXIT_ERROR = 2
MAX_RANGE_DAYS = 366
# Business days a reconciliation may cover. Outside, the UTC+7 day bounds overflow the
# database's 64-bit timestamps (a day in year 235 was an OverflowError traceback).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


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
    parallel: bool = True,
) -> RunSummary:
    """Reconcile every day of ``first``..``last``; days without any record are listed, skipped.

    The range is read in one pass (each table once, not once per day) and then matched and
    stored day by day. ``parallel=False``: PostgreSQL runs it without parallel workers (the
    daily job, whose other half keeps the other core busy).
    """
    check_range(first, last)
    tol = tolerance or Tolerance()
    summary = _reconcile(engine, first, last, now, settlement_dir, tol, parallel=parallel)
    if not summary.days:
        raise NoDataForDay(f"no payment records between {first} and {last}")
    return summary


def check_range(first: date, last: date) -> None:
    """Refuse a range the job cannot reconcile (``ReconciliationError`` names the problem)."""
    if last < first:
        raise ReconciliationError(f"range {first}..{last}: the end is before the start")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ReconciliationError(f"range {first}..{last}: longer than {MAX_RANGE_DAYS} days")
    for day in (first, last):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ReconciliationError(f"day {day}: must be {FIRST_DAY}..{LAST_DAY}")


def reconcile_day(
    engine: Engine,
    day: date,
    *,
    now: datetime,
    settlement_dir: Path | None = None,
    tolerance: Tolerance | None = None,
) -> DayResult:
    """Match one business day, store the results (replacing earlier ones) and return them."""
    check_range(day, day)
    summary = _reconcile(engine, day, day, now, settlement_dir, tolerance or Tolerance())
    if not summary.days:
        raise NoDataForDay(f"no payment records on {day.isoformat()}")
    return summary.days[0]


def _window(first: date, last: date) -> DayWindow:
    return DayWindow(business_day_window(first)[0], business_day_window(last)[1])


def _reconcile(
    engine: Engine,
    first: date,
    last: date,
    now: datetime,
    settlement_dir: Path | None,
    tol: Tolerance,
    *,
    parallel: bool = True,
) -> RunSummary:
    span = _window(first, last)
    summary = RunSummary()
    # Read under one snapshot without SQLite's write lock: payments go on being written meanwhile.
    with (
        engine.connect().execution_options(sqlite_begin="DEFERRED") as connection,
        bulk_session(connection, work_mem_mib=POSTGRES_RECON_WORK_MEM_MIB, parallel=parallel),
        mapped_reads(connection),
    ):
        loaded = load_range(connection, span, tol)
        delivered = delivered_counts(connection, span)
        rows = loaded.rows
        for day in _days(first, last):
            window = _window(day, day)
            in_day = [row for row in rows.switch if window.contains(row.at)]
            switch_count = loaded.clean_switch_by_day[day] + len(in_day)
            credit_count = loaded.clean_ledger_by_day[day] + sum(
                1 for row in rows.credits if window.contains(row.at)
            )
            if not (switch_count or credit_count or delivered.get(day, 0)):
                summary.empty_days.append(day)
                continue
            found = match_day(slice_day(rows, window), tol)
            settled = _check_settlement(connection, day, window, settlement_dir)
            found += [item for item in map(as_discrepancy, settled) if item is not None]
            summary.days.append(
                DayResult(
                    day=day,
                    switch_records=switch_count,
                    ledger_credits=credit_count,
                    notifications=delivered.get(day, 0),
                    matched=loaded.clean_switch_by_day[day] + _matched(in_day, found),
                    discrepancies=found,
                    settlement=settled,
                )
            )
    with engine.begin() as connection:
        for result in summary.days:
            store_day(connection, result, now)
    return summary


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _matched(in_day: list[SwitchRow], found: list[Discrepancy]) -> int:
    # A payment the switch completed, or confirmed as completed when the buyer retried.
    completed = {
        row.switch_ref for row in in_day if row.status in (SwitchStatus.OK, SwitchStatus.CONFIRMED)
    }
    flagged = {item.switch_ref for item in found}
    return len(completed - flagged)


def _ledger_nets(connection: Connection, window: DayWindow) -> dict[int, int]:
    """Net interbank movement (received − paid) of each settlement account during the day."""
    settlement_ids = [row[0] for row in connection.execute(select(banks.c.settlement_account_id))]
    lo_ns, hi_ns = ns_of(window.start), ns_of(window.end)
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
    settlement = settlement_for_day(connection, day)
    switch_nets = {p.bank_bin: p.net_position_dong for p in settlement.positions}
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
                switch_refs=frozenset(
                    line.switch_ref for line in settlement.lines.get(bank_bin, [])
                ),
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
