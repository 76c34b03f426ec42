"""What the switch and a bank say to each other, and the one-method ``BankTransport``.

The switch never calls a bank directly: it hands a ``BankMessage`` to a transport and reads the
``BankReply`` (httpx's ``BaseTransport`` shape). ``payments.banks.FakeBank`` is the in-process
bank; ``payments.faults.FaultyTransport`` wraps any transport and injects faults.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class MessageKind(StrEnum):
    INQUIRY = "inquiry"  # who holds this account?
    DEBIT = "debit"  # payer's bank: may this account pay this amount?
    CREDIT = "credit"  # payee's bank: credit this account (the notification)


class ReplyStatus(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    OFFLINE = "offline"
    TIMEOUT = "timeout"


class FaultKind(StrEnum):
    TIMEOUT_BEFORE_COMMIT = "timeout_before_commit"
    TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
    BANK_OFFLINE = "bank_offline"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    AMOUNT_OVER_LIMIT = "amount_over_limit"
    DUPLICATE_NOTIFICATION = "duplicate_notification"
    DELAYED_NOTIFICATION = "delayed_notification"


@dataclass(frozen=True, slots=True)
class BankMessage:
    kind: MessageKind
    bank_bin: str
    account_number: str
    amount_dong: int = 0
    client_transfer_id: str = ""


@dataclass(frozen=True, slots=True)
class InjectedFault:
    fault: FaultKind
    bank_bin: str
    client_transfer_id: str
    detail: str


@dataclass(frozen=True, slots=True)
class BankReply:
    status: ReplyStatus
    reason: str = ""
    holder_name: str = ""
    # The bank commits but its answer never reaches the payer (timeout after commit).
    reply_lost: bool = False
    # How many times the payee bank records and announces the credit (duplicate delivery: 2).
    deliveries: int = 1
    # Seconds by which the payee bank's notification is late (delayed notification).
    delay_s: int = 0
    faults: tuple[InjectedFault, ...] = ()


ACCEPTED = BankReply(ReplyStatus.ACCEPTED)


class BankTransport(Protocol):
    def exchange(self, message: BankMessage) -> BankReply:
        """Deliver ``message`` to the bank and return its reply (never raises for bank faults)."""
        ...
