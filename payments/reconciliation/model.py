"""The rows reconciliation compares, the exceptions it reports, and the tolerances it allows.

Plain frozen dataclasses: ``job.py`` reads them out of the database and the settlement files,
``match.py`` compares them without any I/O. Money is int đồng; times are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# A bank posting may trail the switch's record by this much and still count as the same event
# (the switch stamps before the bank answers; Blnk calls this "drift").
MAX_POSTING_DRIFT_S = 120
# A vendor must hear about a credit within this many seconds, or the notification is late.
MAX_NOTIFICATION_DELAY_S = 60
# A credit whose memo carries no usable reference may still match a request by amount and time:
# it must arrive within this many seconds after the request was created.
MAX_REQUEST_MATCH_WINDOW_S = 30 * 60
# Banks truncate memos; a truncated reference must keep at least this many characters to match.
MIN_REFERENCE_PREFIX_CHARS = 6


class Kind(StrEnum):
    """Every way the books can disagree. Values are stored and shown; never rename them."""

    MISSING_IN_LEDGER = "missing_in_ledger"
    MISSING_AT_SWITCH = "missing_at_switch"
    MISSING_NOTIFICATION = "missing_notification"
    DUPLICATE = "duplicate"
    AMOUNT_MISMATCH = "amount_mismatch"
    LATE = "late"
    ORPHAN_REQUEST = "orphan_request"
    UNMATCHED_CREDIT = "unmatched_credit"
    SETTLEMENT_MISMATCH = "settlement_mismatch"
    CORRUPT_SETTLEMENT_FILE = "corrupt_settlement_file"


class SwitchStatus(StrEnum):
    OK = "ok"  # the switch completed the payment and told the payer so
    CONFIRMED = "confirmed"  # a retry the switch answered "already completed"
    FAILED = "failed"
    TIMEOUT = "timeout"  # the payer was told "no answer" (whether or not money moved)


@dataclass(frozen=True, slots=True)
class SwitchRow:
    """The switch's own record of one payment attempt (keyed by the client transfer id)."""

    switch_ref: str
    amount_dong: int
    at: datetime
    status: SwitchStatus
    payer_bin: str
    payee_bin: str
    vendor_id: int | None = None


@dataclass(frozen=True, slots=True)
class CreditRow:
    """A ledger credit to a vendor's receiving account (the last leg of a payment)."""

    transfer_id: int
    switch_ref: str
    amount_dong: int
    at: datetime
    payee_bin: str
    vendor_id: int | None = None
    memo: str = ""


@dataclass(frozen=True, slots=True)
class NotificationRow:
    """One delivery of a payment event to a vendor (a duplicate delivery is a second row)."""

    delivery_id: str
    event_id: str
    switch_ref: str
    amount_dong: int
    at: datetime


@dataclass(frozen=True, slots=True)
class RequestRow:
    """A payment request (dynamic QR) and what payments decided about it."""

    request_id: int
    reference: str
    amount_dong: int
    status: str
    created_at: datetime
    vendor_id: int | None = None
    paid_switch_refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnmatchedCreditRow:
    """A credit payments could not attribute to any request (recorded, never dropped)."""

    switch_ref: str
    memo: str
    amount_dong: int
    at: datetime
    vendor_id: int | None = None


@dataclass(frozen=True)
class DayWindow:
    """The business day [start, end) being reconciled."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        assert self.start.tzinfo is not None
        assert self.end.tzinfo is not None
        assert self.start < self.end

    def contains(self, at: datetime, *, slack_s: float = 0) -> bool:
        slack = timedelta(seconds=slack_s)
        return self.start - slack <= at < self.end + slack


@dataclass(frozen=True)
class Tolerance:
    posting_drift_s: int = MAX_POSTING_DRIFT_S
    notification_delay_s: int = MAX_NOTIFICATION_DELAY_S
    request_match_window_s: int = MAX_REQUEST_MATCH_WINDOW_S
    reference_prefix_chars: int = MIN_REFERENCE_PREFIX_CHARS


@dataclass(frozen=True)
class Discrepancy:
    """One exception: what kind, the ids found on every side, and what an operator should do."""

    kind: Kind
    switch_ref: str | None
    detail: str
    suggested_fix: str
    bank_bin: str | None = None
    vendor_id: int | None = None
    amount_expected_dong: int | None = None
    amount_found_dong: int | None = None
    ledger_transfer_ids: tuple[int, ...] = ()
    notification_ids: tuple[str, ...] = ()
    request_id: int | None = None

    def sort_key(self) -> tuple[str, str, str]:
        return (self.kind.value, self.switch_ref or "", self.bank_bin or "")
