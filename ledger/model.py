"""The ledger's data: accounts, transfers, their flags and result codes (TigerBeetle semantics).

Everything here is a frozen value. Outcomes are values (``TransferResult``/``AccountResult``);
only misuse of the API (a batch that is too large, a field of the wrong type) raises
``LedgerError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntFlag, StrEnum
from types import MappingProxyType
from typing import NamedTuple

ID_MAX = 2**63 - 1  # ids are client-chosen, 1..ID_MAX (a signed 64-bit column)
AMOUNT_MAX_DONG = 2**63 - 1  # every balance column is a signed 64-bit integer of đồng
TIMEOUT_MAX_S = 2**32 - 1  # TigerBeetle's u32 seconds
MAX_BATCH_TRANSFERS = 8000  # one database transaction per batch
MAX_BATCH_ACCOUNTS = 8000
CODE_MAX_CHARS = 64
HOLDER_MAX_CHARS = 200
REFERENCE_MAX_CHARS = 140
MEMO_MAX_CHARS = 280
PAGE_LIMIT_MAX = 1000  # rows per page of account_transfers
ZERO_HASH = "0" * 64  # prev_hash of the first transfer

_EMPTY: Mapping[str, object] = MappingProxyType({})


class LedgerError(Exception):
    """Misuse of the ledger API (never an outcome: outcomes are result codes)."""

    status_code = 400
    code = "ledger_error"


class AccountFlags(IntFlag):
    NONE = 0
    LINKED = 1
    DEBITS_MUST_NOT_EXCEED_CREDITS = 2
    CREDITS_MUST_NOT_EXCEED_DEBITS = 4


class TransferFlags(IntFlag):
    NONE = 0
    LINKED = 1
    PENDING = 2
    POST_PENDING_TRANSFER = 4
    VOID_PENDING_TRANSFER = 8
    BALANCING_DEBIT = 16
    BALANCING_CREDIT = 32


ACCOUNT_FLAGS_ALL = 7
TRANSFER_FLAGS_ALL = 63


class AccountResult(StrEnum):
    ok = "ok"
    linked_event_failed = "linked_event_failed"
    linked_event_chain_open = "linked_event_chain_open"
    reserved_flag = "reserved_flag"
    id_must_not_be_zero = "id_must_not_be_zero"
    id_out_of_range = "id_out_of_range"
    flags_are_mutually_exclusive = "flags_are_mutually_exclusive"
    code_must_not_be_empty = "code_must_not_be_empty"
    code_too_long = "code_too_long"
    currency_invalid = "currency_invalid"
    holder_too_long = "holder_too_long"
    exists_with_different_fields = "exists_with_different_fields"
    exists = "exists"
    code_already_used = "code_already_used"


class TransferResult(StrEnum):
    """TigerBeetle's create_transfer results, in its validation order (ok first)."""

    ok = "ok"
    linked_event_failed = "linked_event_failed"
    linked_event_chain_open = "linked_event_chain_open"
    reserved_flag = "reserved_flag"
    id_must_not_be_zero = "id_must_not_be_zero"
    id_out_of_range = "id_out_of_range"
    flags_are_mutually_exclusive = "flags_are_mutually_exclusive"
    debit_account_id_must_not_be_zero = "debit_account_id_must_not_be_zero"
    debit_account_id_out_of_range = "debit_account_id_out_of_range"
    credit_account_id_must_not_be_zero = "credit_account_id_must_not_be_zero"
    credit_account_id_out_of_range = "credit_account_id_out_of_range"
    accounts_must_be_different = "accounts_must_be_different"
    pending_id_must_be_zero = "pending_id_must_be_zero"
    pending_id_must_not_be_zero = "pending_id_must_not_be_zero"
    pending_id_out_of_range = "pending_id_out_of_range"
    pending_id_must_be_different = "pending_id_must_be_different"
    timeout_reserved_for_pending_transfer = "timeout_reserved_for_pending_transfer"
    timeout_must_not_be_negative = "timeout_must_not_be_negative"
    overflows_timeout = "overflows_timeout"
    amount_must_not_be_negative = "amount_must_not_be_negative"
    reference_too_long = "reference_too_long"
    memo_too_long = "memo_too_long"
    debit_account_not_found = "debit_account_not_found"
    credit_account_not_found = "credit_account_not_found"
    accounts_must_have_the_same_currency = "accounts_must_have_the_same_currency"
    pending_transfer_not_found = "pending_transfer_not_found"
    pending_transfer_not_pending = "pending_transfer_not_pending"
    pending_transfer_has_different_debit_account_id = (
        "pending_transfer_has_different_debit_account_id"
    )
    pending_transfer_has_different_credit_account_id = (
        "pending_transfer_has_different_credit_account_id"
    )
    exceeds_pending_transfer_amount = "exceeds_pending_transfer_amount"
    pending_transfer_has_different_amount = "pending_transfer_has_different_amount"
    exists_with_different_fields = "exists_with_different_fields"
    exists = "exists"
    pending_transfer_already_posted = "pending_transfer_already_posted"
    pending_transfer_already_voided = "pending_transfer_already_voided"
    pending_transfer_expired = "pending_transfer_expired"
    amount_must_not_be_zero = "amount_must_not_be_zero"
    overflows_debits_pending = "overflows_debits_pending"
    overflows_credits_pending = "overflows_credits_pending"
    overflows_debits_posted = "overflows_debits_posted"
    overflows_credits_posted = "overflows_credits_posted"
    overflows_debits = "overflows_debits"
    overflows_credits = "overflows_credits"
    exceeds_credits = "exceeds_credits"
    exceeds_debits = "exceeds_debits"


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    code: str
    currency: str = "VND"
    flags: AccountFlags = AccountFlags.NONE
    holder: str = ""
    metadata: Mapping[str, object] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Transfer:
    """A transfer request. For post/void, ``amount_dong`` 0 means the pending amount and
    debit/credit account ids 0 mean the pending transfer's accounts (TigerBeetle 0.15)."""

    id: int
    debit_account_id: int
    credit_account_id: int
    amount_dong: int
    reference: str = ""
    memo: str = ""
    flags: TransferFlags = TransferFlags.NONE
    pending_id: int | None = None
    timeout_s: int = 0
    metadata: Mapping[str, object] = field(default_factory=lambda: _EMPTY)


class Balances(NamedTuple):
    """An account's four balances (a named tuple: the batch hot path builds many)."""

    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0


@dataclass(frozen=True, slots=True)
class AccountBalance:
    id: int
    code: str
    currency: str
    flags: AccountFlags
    holder: str
    metadata: Mapping[str, object]
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    timestamp: datetime

    @property
    def balance(self) -> int:
        """Posted credits minus posted debits, in đồng."""
        return self.credits_posted - self.debits_posted

    @property
    def balances(self) -> Balances:
        return Balances(
            self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted
        )


@dataclass(frozen=True, slots=True)
class StoredTransfer:
    """A committed transfer: the request's fields as resolved, plus the ledger's timestamp.

    Expiry of a pending transfer is recorded as a void with ``id == -pending_id`` (ids chosen by
    clients are positive, so these never collide)."""

    id: int
    debit_account_id: int
    credit_account_id: int
    amount_dong: int
    reference: str
    memo: str
    flags: TransferFlags
    pending_id: int | None
    timeout_s: int
    metadata: Mapping[str, object]
    timestamp: datetime
    timestamp_ns: int
    prev_hash: str
    hash: str

    @property
    def expired(self) -> bool:
        return self.id < 0


@dataclass(frozen=True, slots=True)
class TransferPage:
    items: list[StoredTransfer]
    next_cursor: int | None


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant; ``item`` names the account, transfer or currency."""

    check: str
    item: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.item}: {self.message}"
