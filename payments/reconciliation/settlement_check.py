"""Checking each bank's settlement: the switch's net position, the ledger's, and the bank's file.

Pure: ``parse_settlement_file`` reads the text of one bank's CSV (the format payments writes,
``payments.settlement.SETTLEMENT_COLUMNS``) and either returns its net position or raises
``CorruptSettlementFile`` naming the line and the problem; ``check_bank`` compares the three
figures. ``job.py`` reads the files and calls these once per bank, so one bank's corrupt file
is reported for that bank and never stops the others.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from payments.reconciliation.model import Discrepancy, Kind
from payments.settlement import SETTLEMENT_COLUMNS

MAX_SETTLEMENT_FILE_BYTES = 64 * 1024 * 1024  # one bank's day; far above a market province's
DIRECTIONS = {"pay": -1, "receive": 1}


class CorruptSettlementFile(ValueError):
    """A settlement file that cannot be trusted (the message names the line and problem)."""


class SettlementStatus(StrEnum):
    OK = "ok"
    MISMATCH = "mismatch"
    CORRUPT_FILE = "corrupt_file"
    NO_FILE = "no_file"


@dataclass(frozen=True)
class FileNet:
    lines: int
    net_dong: int
    refs: frozenset[str]


@dataclass(frozen=True)
class BankSettlement:
    bank_bin: str
    switch_net_dong: int
    ledger_net_dong: int
    file_net_dong: int | None
    status: SettlementStatus
    problem: str


def settlement_file_name(day: date, bank_bin: str) -> str:
    return f"settlement_{day.isoformat()}_{bank_bin}.csv"


def parse_settlement_file(text: str, *, day: date, bank_bin: str) -> FileNet:
    """The net position (received − paid) a bank's settlement file states."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise CorruptSettlementFile("the file is empty (no header line)")
    if tuple(header) != SETTLEMENT_COLUMNS:
        raise CorruptSettlementFile(
            f"line 1: header {','.join(header)!r}, expected {','.join(SETTLEMENT_COLUMNS)!r}"
        )
    net, count, refs = 0, 0, set()
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(SETTLEMENT_COLUMNS):
            raise CorruptSettlementFile(
                f"line {number}: {len(row)} fields, expected {len(SETTLEMENT_COLUMNS)}"
            )
        fields = dict(zip(SETTLEMENT_COLUMNS, row, strict=True))
        if fields["settlement_date"] != day.isoformat():
            raise CorruptSettlementFile(
                f"line {number}: settlement_date {fields['settlement_date']!r}, "
                f"expected {day.isoformat()}"
            )
        if fields["bank_bin"] != bank_bin:
            raise CorruptSettlementFile(
                f"line {number}: bank_bin {fields['bank_bin']!r} in the file of bank {bank_bin}"
            )
        sign = DIRECTIONS.get(fields["direction"])
        if sign is None:
            raise CorruptSettlementFile(
                f"line {number}: direction {fields['direction']!r}, expected pay or receive"
            )
        amount = fields["amount_dong"]
        if not amount.isdigit() or int(amount) <= 0:
            raise CorruptSettlementFile(
                f"line {number}: amount_dong {amount!r} is not a positive whole number"
            )
        net += sign * int(amount)
        count += 1
        refs.add(fields["switch_ref"])
    return FileNet(count, net, frozenset(refs))


def check_bank(
    bank_bin: str,
    *,
    switch_net_dong: int,
    ledger_net_dong: int,
    file_net: FileNet | None,
    file_problem: str | None,
    switch_refs: frozenset[str] = frozenset(),
) -> BankSettlement:
    """Compare one bank's three figures, and the file's lines with the switch's transfers;
    ``file_problem`` is set when its file was corrupt."""
    if file_problem is not None:
        status, problem = SettlementStatus.CORRUPT_FILE, file_problem
    elif switch_net_dong != ledger_net_dong:
        status = SettlementStatus.MISMATCH
        problem = f"switch net {switch_net_dong} đồng, ledger net {ledger_net_dong} đồng"
    elif file_net is not None and file_net.net_dong != switch_net_dong:
        status = SettlementStatus.MISMATCH
        problem = f"file net {file_net.net_dong} đồng, switch net {switch_net_dong} đồng"
    elif file_net is not None and file_net.refs != switch_refs:
        status = SettlementStatus.MISMATCH
        problem = (
            f"file lists {len(file_net.refs - switch_refs)} transfer(s) the switch did not "
            f"complete and misses {len(switch_refs - file_net.refs)} it did"
        )
    elif file_net is None:
        status, problem = SettlementStatus.NO_FILE, ""
    else:
        status, problem = SettlementStatus.OK, ""
    return BankSettlement(
        bank_bin,
        switch_net_dong,
        ledger_net_dong,
        None if file_net is None else file_net.net_dong,
        status,
        problem,
    )


def as_discrepancy(check: BankSettlement) -> Discrepancy | None:
    """The exception a settlement problem is reported as (None when the bank settles)."""
    if check.status is SettlementStatus.CORRUPT_FILE:
        return Discrepancy(
            Kind.CORRUPT_SETTLEMENT_FILE,
            None,
            f"settlement file of bank {check.bank_bin}: {check.problem}",
            "ask the bank to resend its settlement file; the other banks were reconciled",
            bank_bin=check.bank_bin,
        )
    if check.status is SettlementStatus.MISMATCH:
        return Discrepancy(
            Kind.SETTLEMENT_MISMATCH,
            None,
            f"bank {check.bank_bin}: {check.problem}",
            "compare the bank's file line by line with the switch records before settling",
            bank_bin=check.bank_bin,
            amount_expected_dong=check.switch_net_dong,
            amount_found_dong=(
                check.file_net_dong
                if check.switch_net_dong == check.ledger_net_dong
                else check.ledger_net_dong
            ),
        )
    return None
