"""End-of-day settlement: per bank, every interbank transfer the switch completed that day, and
the bank's net position (received minus paid). Net positions sum to zero: every đồng one bank
pays another bank receives.

The business day is the Vietnamese calendar day (UTC+7). Files are CSV with the columns in
``SETTLEMENT_COLUMNS`` and ``NET_POSITION_COLUMNS`` (documented in docs/PAYMENTS.md).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

from sqlalchemy import Connection, select

from payments.clock import as_utc
from payments.tables import banks, switch_messages

BUSINESS_TZ = timezone(timedelta(hours=7), "ICT")
SETTLEMENT_COLUMNS = (
    "settlement_date",
    "bank_bin",
    "switch_ref",
    "direction",
    "counterparty_bin",
    "amount_dong",
    "created_at",
)
NET_POSITION_COLUMNS = (
    "settlement_date",
    "bank_bin",
    "bank_name",
    "transfers",
    "paid_dong",
    "received_dong",
    "net_position_dong",
)


@dataclass(frozen=True, slots=True)
class SettlementLine:
    bank_bin: str
    switch_ref: str
    direction: str  # "pay" (the bank's customer paid out) | "receive"
    counterparty_bin: str
    amount_dong: int
    created_at: datetime


@dataclass(frozen=True)
class NetPosition:
    bank_bin: str
    bank_name: str
    transfers: int
    paid_dong: int
    received_dong: int

    @property
    def net_position_dong(self) -> int:
        return self.received_dong - self.paid_dong


@dataclass(frozen=True)
class Settlement:
    day: date
    lines: dict[str, list[SettlementLine]]
    positions: list[NetPosition]


def business_day_window(day: date) -> tuple[datetime, datetime]:
    """[start, end) of the Vietnamese calendar day ``day``, in UTC."""
    start = datetime.combine(day, time(0), tzinfo=BUSINESS_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


def settlement_for_day(connection: Connection, day: date) -> Settlement:
    start, end = business_day_window(day)
    names = {row.bin: row.short_name for row in connection.execute(select(banks))}
    lines: dict[str, list[SettlementLine]] = {bank_bin: [] for bank_bin in sorted(names)}
    rows = connection.execute(
        select(switch_messages)
        .where(
            switch_messages.c.status == "completed",
            switch_messages.c.created_at >= start,
            switch_messages.c.created_at < end,
            switch_messages.c.payer_bin != switch_messages.c.payee_bin,
        )
        .order_by(switch_messages.c.id)
    )
    for row in rows:
        at = as_utc(row.created_at)
        ref, amount = row.client_transfer_id, row.amount_dong
        lines.setdefault(row.payer_bin, []).append(
            SettlementLine(row.payer_bin, ref, "pay", row.payee_bin, amount, at)
        )
        lines.setdefault(row.payee_bin, []).append(
            SettlementLine(row.payee_bin, ref, "receive", row.payer_bin, amount, at)
        )
    positions = [
        NetPosition(
            bank_bin,
            names.get(bank_bin, ""),
            len(bank_lines),
            sum(line.amount_dong for line in bank_lines if line.direction == "pay"),
            sum(line.amount_dong for line in bank_lines if line.direction == "receive"),
        )
        for bank_bin, bank_lines in sorted(lines.items())
    ]
    # Every interbank transfer is one "pay" line and one "receive" line of the same amount.
    assert sum(position.net_position_dong for position in positions) == 0, positions
    return Settlement(day, lines, positions)


def write_settlement_files(settlement: Settlement, out_dir: Path) -> list[Path]:
    """One ``settlement_<date>_<bin>.csv`` per bank and ``net_positions_<date>.csv``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    day = settlement.day.isoformat()
    written: list[Path] = []
    for bank_bin, bank_lines in sorted(settlement.lines.items()):
        path = out_dir / f"settlement_{day}_{bank_bin}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(SETTLEMENT_COLUMNS)
            for line in bank_lines:
                writer.writerow(
                    (
                        day,
                        line.bank_bin,
                        line.switch_ref,
                        line.direction,
                        line.counterparty_bin,
                        line.amount_dong,
                        line.created_at.isoformat(),
                    )
                )
        written.append(path)
    path = out_dir / f"net_positions_{day}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(NET_POSITION_COLUMNS)
        for position in settlement.positions:
            writer.writerow(
                (
                    day,
                    position.bank_bin,
                    position.bank_name,
                    position.transfers,
                    position.paid_dong,
                    position.received_dong,
                    position.net_position_dong,
                )
            )
    written.append(path)
    return written
