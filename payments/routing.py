"""From a scanned payload to the ledger legs of one payment: validation and routing, no I/O.

A payment is one linked ledger chain, so it succeeds or fails as a whole:
interbank ``buyer@A -> settlement(A) -> settlement(B) -> vendor@B``; on-us (A == B)
``buyer@A -> settlement(A) -> vendor@A``. Leg ids are derived from the switch reference
(client transfer id + payer account), which makes a retry with the same client id idempotent,
unless the payer gives its own time-ordered ``transfer_id`` (TigerBeetle's recommendation: a
b-tree appends such ids at its end instead of dirtying pages all over it), which a retry reuses.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ledger import Transfer, TransferFlags, TransferResult, derive_id
from payments.banks import (
    bank_memo,
    customer_account_id,
    settlement_account_id,
)
from payments.errors import (
    AmountFixed,
    AmountOverLimit,
    AmountRequired,
    BankOffline,
    Conflict,
    InsufficientFunds,
    InvalidAmount,
    InvalidInput,
    InvalidPayload,
    PaymentError,
    PaymentTimeout,
    UnknownAccount,
)
from payments.requests import Match
from qr import QRError, VietQR, parse

MAX_PAYMENT_DONG = 500_000_000  # the switch's per-payment limit for QR transfers
MAX_LEGS = 3  # interbank: payer -> settlement(A) -> settlement(B) -> payee
TRANSFER_ID_MAX = 2**63 - MAX_LEGS  # legs transfer_id .. transfer_id + 2 stay under 2**63
PARSE_CACHE_MAX_ENTRIES = 50_000  # parsed stickers (static codes) kept
# Tag 00 (format "01") then tag 01 (point of initiation) "11": a static code, i.e. a sticker.
_STATIC_CODE_START = "000201010211"
CLIENT_ID_MAX_CHARS = 36  # a UUID; the switch reference adds the payer's BIN and account
_CLIENT_ID = re.compile(rf"^[A-Za-z0-9_.:-]{{1,{CLIENT_ID_MAX_CHARS}}}$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")


class PaymentStatus(StrEnum):
    COMPLETED = "completed"  # money moved now
    DUPLICATE = "duplicate"  # a retry of a completed payment: nothing moved again
    DECLINED = "declined"  # a bank or the ledger refused; nothing moved
    TIMEOUT = "timeout"  # no answer; retry with the same client id (see ``committed``)
    OFFLINE = "offline"  # a bank did not answer at all; nothing moved
    REJECTED = "rejected"  # bad input; nothing moved


@dataclass(frozen=True, slots=True)
class Payment:
    """A buyer's instruction: pay ``payload`` from ``payer_bin``/``payer_account``."""

    payload: str
    payer_bin: str
    payer_account: str
    client_transfer_id: str
    amount_dong: int | None = None  # required for a static code; must match a dynamic one
    # The payer's own ledger id for this payment (legs get transfer_id .. transfer_id + 2), or
    # None: derived from the switch reference. A payer that gives one must send the same one
    # with every retry of a client transfer id, as it does the client id: a new transfer_id is
    # a new payment to the ledger. Only in-process payers (the simulation) give one.
    transfer_id: int | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    payment: Payment
    code: VietQR
    switch_ref: str
    amount_dong: int
    dynamic: bool


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    status: PaymentStatus
    switch_ref: str
    amount_dong: int
    reason: str = ""
    error: PaymentError | None = None
    payee_bin: str = ""
    payee_account: str = ""
    payee_name: str = ""
    committed: bool = False  # True when money moved, even if the reply was lost
    vendor_id: int | None = None
    credit_id: int | None = None
    event_id: str | None = None
    request_id: int | None = None
    match: Match | None = None
    ledger_transfer_ids: tuple[int, ...] = field(default=())
    at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status in (PaymentStatus.COMPLETED, PaymentStatus.DUPLICATE)

    def raise_for_status(self) -> None:
        if self.error is not None:
            raise self.error


def switch_ref(payer_bin: str, payer_account: str, client_transfer_id: str) -> str:
    # The client id comes first: a payer whose client ids grow with time (the simulation's do)
    # then appends to every index keyed by the reference instead of writing all over it.
    # Unambiguous: the BIN is 6 digits and the account has no colon, so it parses from the right.
    return f"{client_transfer_id}:{payer_bin}:{payer_account}"


def prepare(payment: Payment) -> Prepared:
    """Check a payment before any bank sees it; raises a ``PaymentError`` naming the problem."""
    if not _CLIENT_ID.match(payment.client_transfer_id):
        raise InvalidInput(
            f"client transfer id {payment.client_transfer_id!r}: 1..{CLIENT_ID_MAX_CHARS} "
            "letters, digits or _.:-"
        )
    if not (payment.payer_bin.isdigit() and len(payment.payer_bin) == 6):
        raise InvalidInput(f"payer BIN {payment.payer_bin!r}: must be 6 digits")
    if not _ACCOUNT.match(payment.payer_account):
        raise InvalidInput(f"payer account {payment.payer_account!r}: 1..19 letters or digits")
    if payment.transfer_id is not None and not (
        type(payment.transfer_id) is int and 1 <= payment.transfer_id <= TRANSFER_ID_MAX
    ):
        raise InvalidInput(f"transfer id {payment.transfer_id!r}: must be 1..{TRANSFER_ID_MAX}")
    try:
        code = read_payload(payment.payload)
    except QRError as exc:
        raise InvalidPayload(f"not a valid VietQR payload: {exc}") from exc
    dynamic = code.point_of_initiation == "dynamic" and code.amount is not None
    amount = _amount(payment.amount_dong, code.amount, dynamic=dynamic)
    ref = switch_ref(payment.payer_bin, payment.payer_account, payment.client_transfer_id)
    return Prepared(payment, code, ref, amount, dynamic)


def read_payload(payload: str) -> VietQR:
    """``qr.parse`` of a payload, stickers from a bounded cache; raises ``QRError``."""
    # A dynamic code is paid once (or retried a few times), so caching it would only push the
    # stickers out and fill memory with codes never seen again; stickers are paid all day.
    if payload.startswith(_STATIC_CODE_START):
        return _parse_sticker(payload)
    return parse(payload)


@functools.lru_cache(maxsize=PARSE_CACHE_MAX_ENTRIES)
def _parse_sticker(payload: str) -> VietQR:
    # VietQR is frozen, so sharing a parsed sticker is safe.
    return parse(payload)


def _amount(typed: object, coded: int | None, *, dynamic: bool) -> int:
    if dynamic:
        assert coded is not None
        if typed is not None and typed != coded:
            raise AmountFixed(f"this code asks for exactly {coded} đồng; the amount is fixed")
        typed = coded
    elif typed is None:
        typed = coded
        if typed is None:
            raise AmountRequired("this is a sticker (static) code: enter the amount to pay")
    if type(typed) is not int:
        raise InvalidAmount(f"amount {typed!r}: must be a whole number of đồng")
    if typed <= 0:
        raise InvalidAmount(f"amount {typed}: must be positive")
    if typed > MAX_PAYMENT_DONG:
        raise AmountOverLimit(f"amount {typed} đồng is over the {MAX_PAYMENT_DONG} đồng limit")
    return typed


def leg_ids(ref: str, legs: int) -> tuple[int, ...]:
    return tuple(derive_id(f"pay:{ref}:{index}") for index in range(1, legs + 1))


def legs(prepared: Prepared, payee_bank_short: str) -> list[Transfer]:
    """The linked ledger chain of one payment (the last leg carries the bank's memo)."""
    payment, code = prepared.payment, prepared.code
    payer_settlement = settlement_account_id(payment.payer_bin)
    path = [customer_account_id(payment.payer_bin, payment.payer_account), payer_settlement]
    if code.bin != payment.payer_bin:
        path.append(settlement_account_id(code.bin))
    path.append(customer_account_id(code.bin, code.account))
    assert 2 <= len(path) - 1 <= MAX_LEGS
    if payment.transfer_id is None:
        ids = leg_ids(prepared.switch_ref, len(path) - 1)
    else:
        ids = tuple(payment.transfer_id + index for index in range(len(path) - 1))
    memo = bank_memo(payee_bank_short, prepared.switch_ref, code.purpose or code.reference or "")
    transfers = []
    for index, transfer_id in enumerate(ids):
        last = index == len(ids) - 1
        transfers.append(
            Transfer(
                id=transfer_id,
                debit_account_id=path[index],
                credit_account_id=path[index + 1],
                amount_dong=prepared.amount_dong,
                reference=prepared.switch_ref,
                memo=memo if last else "",
                flags=TransferFlags.NONE if last else TransferFlags.LINKED,
            )
        )
    return transfers


def judge(results: list[TransferResult]) -> tuple[PaymentStatus, str]:
    """The payment's status from its legs' ledger results."""
    if all(result is TransferResult.ok for result in results):
        return PaymentStatus.COMPLETED, ""
    # A linked chain stops at its first non-ok result, so a replayed chain reads
    # [exists, linked_event_failed, ...]: only the first leg was compared with what is stored.
    # The caller confirms the other legs (``Switch._confirm_duplicates``).
    if results[0] is TransferResult.exists and all(
        result in (TransferResult.exists, TransferResult.linked_event_failed)
        for result in results[1:]
    ):
        return PaymentStatus.DUPLICATE, "already completed"
    failed = next(
        r for r in results if r not in (TransferResult.ok, TransferResult.linked_event_failed)
    )
    return PaymentStatus.DECLINED, failed.value


def error_for(reason: str, prepared: Prepared) -> PaymentError:
    """The typed error for a ledger refusal of this payment's chain."""
    payment, code = prepared.payment, prepared.code
    if reason == TransferResult.exceeds_credits.value:
        return InsufficientFunds(
            f"account {payment.payer_bin}:{payment.payer_account} cannot pay "
            f"{prepared.amount_dong} đồng"
        )
    if reason == TransferResult.debit_account_not_found.value:
        return UnknownAccount(f"bank {payment.payer_bin} has no account {payment.payer_account}")
    if reason == TransferResult.credit_account_not_found.value:
        return UnknownAccount(f"bank {code.bin} has no account {code.account}")
    if reason in (
        TransferResult.exists_with_different_fields.value,
        TransferResult.exists.value,
    ):
        return Conflict(
            f"client transfer id {payment.client_transfer_id!r} was already used for a "
            "different payment"
        )
    return Conflict(f"the ledger refused the payment: {reason}")


def failed_outcome(
    prepared: Prepared,
    status: PaymentStatus,
    error: PaymentError,
    at: datetime,
    *,
    reason: str = "",
) -> PaymentOutcome:
    return PaymentOutcome(
        status,
        prepared.switch_ref,
        prepared.amount_dong,
        reason=reason or error.code,
        error=error,
        payee_bin=prepared.code.bin,
        payee_account=prepared.code.account,
        payee_name=prepared.code.merchant_name,
        at=at,
    )


_REPLY_ERRORS: dict[str, type[PaymentError]] = {
    "insufficient_funds": InsufficientFunds,
    "amount_over_limit": AmountOverLimit,
    "unknown_account": UnknownAccount,
}


def refusal(reply_status: str, reason: str, bank_bin: str) -> tuple[PaymentStatus, PaymentError]:
    """The outcome status and typed error for a bank that did not accept a message."""
    if reply_status == "offline":
        return PaymentStatus.OFFLINE, BankOffline(f"bank {bank_bin} is offline")
    if reply_status == "timeout":
        return PaymentStatus.TIMEOUT, PaymentTimeout(
            f"bank {bank_bin} did not answer; nothing was charged, retry with the same "
            "client transfer id"
        )
    error_class = _REPLY_ERRORS.get(reason, PaymentError)
    return PaymentStatus.DECLINED, error_class(f"bank {bank_bin} declined: {reason}")
