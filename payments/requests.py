"""Payment requests (dynamic VietQR) and matching incoming credits to them.

A request carries a short order reference (``MP`` + 6 characters) in tag 62/05, repeated at the
start of the purpose (62/08). Banks rewrite memos (prefix, case, punctuation, truncation to
~19-25 characters), so a credit is matched 1) by a reference its memo carries, whole or cut at
the end, then 2) by exact amount within ``AMOUNT_MATCH_WINDOW_S`` of the request, oldest first.
A credit that matches nothing is still recorded (``Match.UNMATCHED``), never dropped.

Status is derived, never stored: from the amount, what was paid, and the expiry.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection, insert, select

from payments.clock import as_utc
from payments.directory import ReceivingAccount, merchant_text
from payments.errors import AmountOverLimit, InvalidAmount, InvalidInput, NotFound
from payments.reconciliation.memo import memo_carries
from payments.tables import NOTE_MAX_CHARS, payment_requests
from qr import VietQR, build

REFERENCE_PREFIX = "MP"
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud safely
REFERENCE_RANDOM_CHARS = 6
PURPOSE_MAX_CHARS = 25  # what most banks keep of tag 62/08
REQUEST_TTL_S = 15 * 60
MAX_REQUEST_TTL_S = 24 * 3600
AMOUNT_MATCH_WINDOW_S = 30 * 60  # same window as reconciliation's MAX_REQUEST_MATCH_WINDOW_S
LATE_MATCH_MAX_S = 7 * 24 * 3600  # a reference still attributes a credit this long after expiry
MAX_REQUEST_DONG = 500_000_000  # same as the switch's per-payment limit
MAX_REQUESTS_PER_CALL = 5000  # requests one create_requests call checks and writes
MIN_REFERENCE_MATCH_CHARS = 6  # of the 8-character reference, when the memo cut it short


class Status(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    UNDERPAID = "UNDERPAID"
    OVERPAID = "OVERPAID"
    EXPIRED = "EXPIRED"


class Match(StrEnum):
    STATIC = "static"  # paid to a sticker: attributed to the vendor by the receiving account
    REFERENCE = "reference"  # the memo carried the request's reference
    AMOUNT_WINDOW = "amount_window"  # no reference; same amount soon after the request
    LATE = "late"  # the reference matched, but the request had expired
    UNMATCHED = "unmatched"  # a dynamic-code credit that fits no request


@dataclass
class OpenRequest:
    """What matching needs of a request; ``paid_dong`` is updated as a batch is matched."""

    id: int
    receiving_account_id: int
    reference: str
    amount_dong: int
    paid_dong: int
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class PaymentRequest:
    id: int
    vendor_id: int
    receiving_account_id: int
    reference: str
    amount_dong: int
    note: str
    paid_dong: int
    payload: str
    created_at: datetime
    expires_at: datetime

    def status(self, now: datetime) -> Status:
        return status_of(self.amount_dong, self.paid_dong, self.expires_at, now)

    def remaining_dong(self) -> int:
        return max(0, self.amount_dong - self.paid_dong)


def status_of(amount_dong: int, paid_dong: int, expires_at: datetime, now: datetime) -> Status:
    assert amount_dong > 0, amount_dong
    assert paid_dong >= 0, paid_dong
    if paid_dong == 0:
        return Status.EXPIRED if now >= expires_at else Status.PENDING
    if paid_dong < amount_dong:
        return Status.UNDERPAID
    return Status.PAID if paid_dong == amount_dong else Status.OVERPAID


def new_reference(rng: random.Random) -> str:
    return REFERENCE_PREFIX + "".join(
        rng.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_RANDOM_CHARS)
    )


def check_amount(amount_dong: object, *, limit_dong: int = MAX_REQUEST_DONG) -> int:
    """An amount of đồng: a positive int (not bool, not float) no greater than the limit."""
    if type(amount_dong) is not int:
        raise InvalidAmount(f"amount {amount_dong!r}: must be a whole number of đồng")
    if amount_dong <= 0:
        raise InvalidAmount(f"amount {amount_dong}: must be positive")
    if amount_dong > limit_dong:
        raise AmountOverLimit(f"amount {amount_dong} đồng is over the limit of {limit_dong}")
    return amount_dong


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """One request to create: to ``account``, for ``amount_dong``, with the vendor's note."""

    account: ReceivingAccount
    amount_dong: object
    note: str = ""


def create_request(
    connection: Connection,
    account: ReceivingAccount,
    *,
    amount_dong: object,
    note: str,
    now: datetime,
    rng: random.Random,
    city: str,
    ttl_s: int = REQUEST_TTL_S,
) -> PaymentRequest:
    """A request for ``amount_dong`` to ``account``, with its dynamic VietQR payload."""
    spec = RequestSpec(account, amount_dong, note)
    (request,) = create_requests(connection, [spec], now=now, rng=rng, city=city, ttl_s=ttl_s)
    return request


def create_requests(
    connection: Connection,
    specs: Sequence[RequestSpec],
    *,
    now: datetime,
    rng: random.Random,
    city: str,
    ttl_s: int = REQUEST_TTL_S,
) -> list[PaymentRequest]:
    """``create_request`` for many at once (a market's dynamic sales of one slot): every spec
    is checked first (the first problem raises, nothing is written), references are drawn in
    order and checked for clashes with one query, the rows go in with one bulk insert."""
    if len(specs) > MAX_REQUESTS_PER_CALL:
        raise InvalidInput(f"at most {MAX_REQUESTS_PER_CALL} requests a call, got {len(specs)}")
    if type(ttl_s) is not int or not 60 <= ttl_s <= MAX_REQUEST_TTL_S:
        raise InvalidInput(f"ttl_s {ttl_s!r}: must be 60..{MAX_REQUEST_TTL_S} seconds")
    amounts = []
    for spec in specs:
        amounts.append(check_amount(spec.amount_dong))
        if len(spec.note) > NOTE_MAX_CHARS:
            raise InvalidInput(f"note: at most {NOTE_MAX_CHARS} characters, got {len(spec.note)}")
    if not specs:
        return []
    references = _unused_references(connection, rng, len(specs))
    expires_at = now + timedelta(seconds=ttl_s)
    rows = [
        {
            "vendor_id": spec.account.vendor_id,
            "receiving_account_id": spec.account.id,
            "reference": reference,
            "amount_dong": amount,
            "note": spec.note,
            "paid_dong": 0,
            "payload": _payload(spec, amount, reference, city),
            "created_at": now,
            "expires_at": expires_at,
        }
        for spec, amount, reference in zip(specs, amounts, references, strict=True)
    ]
    # Keyed by reference (unique), so the rows' order does not matter (asking SQLAlchemy for
    # parameter order would cost one INSERT per row on SQLite).
    inserted = connection.execute(
        insert(payment_requests).returning(payment_requests.c.reference, payment_requests.c.id),
        rows,
    )
    ids = {row.reference: int(row.id) for row in inserted}
    return [
        PaymentRequest(
            ids[reference],
            spec.account.vendor_id,
            spec.account.id,
            reference,
            amount,
            spec.note,
            0,
            str(row["payload"]),
            now,
            expires_at,
        )
        for spec, amount, reference, row in zip(specs, amounts, references, rows, strict=True)
    ]


def _payload(spec: RequestSpec, amount_dong: int, reference: str, city: str) -> str:
    account = spec.account
    return build(
        VietQR(
            bin=account.bank_bin,
            account=account.account_number,
            amount=amount_dong,
            merchant_name=merchant_text(account.holder_name, 25),
            merchant_city=merchant_text(city, 15),
            reference=reference,
            purpose=merchant_text(f"{reference} {spec.note}", PURPOSE_MAX_CHARS),
            point_of_initiation="dynamic",
        )
    )


def _unused_references(connection: Connection, rng: random.Random, count: int) -> list[str]:
    """``count`` distinct references not in use, drawn in order (a clash is drawn again)."""
    # 31^6 ≈ 887 million references: a clash is rare, and bounded retries make it harmless.
    references = [new_reference(rng) for _ in range(count)]
    for _attempt in range(8):
        used = set(
            connection.scalars(
                select(payment_requests.c.reference).where(
                    payment_requests.c.reference.in_(set(references))
                )
            )
        )
        seen: set[str] = set()
        clashes = []
        for index, reference in enumerate(references):
            if reference in used or reference in seen:
                clashes.append(index)
            seen.add(reference)
        if not clashes:
            return references
        for index in clashes:
            references[index] = new_reference(rng)
    raise AssertionError("eight reference clashes in a row: the generator is broken")


def get_request(connection: Connection, request_id: int, *, vendor_id: int) -> PaymentRequest:
    row = connection.execute(
        select(payment_requests).where(
            payment_requests.c.id == request_id, payment_requests.c.vendor_id == vendor_id
        )
    ).first()
    if row is None:
        raise NotFound(f"payment request {request_id} does not exist")
    return PaymentRequest(
        id=row.id,
        vendor_id=row.vendor_id,
        receiving_account_id=row.receiving_account_id,
        reference=row.reference,
        amount_dong=row.amount_dong,
        note=row.note,
        paid_dong=row.paid_dong,
        payload=row.payload,
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at),
    )


def open_requests(
    connection: Connection, receiving_account_ids: set[int], now: datetime
) -> dict[int, list[OpenRequest]]:
    """Requests a credit arriving ``now`` could still match, by receiving account, oldest first."""
    if not receiving_account_ids:
        return {}
    since = now - timedelta(seconds=MAX_REQUEST_TTL_S + LATE_MATCH_MAX_S)
    rows = connection.execute(
        select(payment_requests)
        .where(
            payment_requests.c.receiving_account_id.in_(sorted(receiving_account_ids)),
            payment_requests.c.created_at >= since,
        )
        .order_by(payment_requests.c.id)
    ).all()
    by_account: dict[int, list[OpenRequest]] = {}
    for row in rows:
        by_account.setdefault(row.receiving_account_id, []).append(
            OpenRequest(
                id=row.id,
                receiving_account_id=row.receiving_account_id,
                reference=row.reference,
                amount_dong=row.amount_dong,
                paid_dong=row.paid_dong,
                created_at=as_utc(row.created_at),
                expires_at=as_utc(row.expires_at),
            )
        )
    return by_account


def match_credit(
    memo: str, amount_dong: int, at: datetime, candidates: list[OpenRequest]
) -> tuple[OpenRequest | None, Match]:
    """Which request a dynamic-code credit pays (pure; the caller adds it to ``paid_dong``)."""
    by_reference = [
        request
        for request in candidates
        if memo_carries(memo, request.reference, min_prefix_chars=MIN_REFERENCE_MATCH_CHARS)
    ]
    if len(by_reference) == 1:
        request = by_reference[0]
        return request, (Match.LATE if at >= request.expires_at else Match.REFERENCE)
    window = timedelta(seconds=AMOUNT_MATCH_WINDOW_S)
    for request in candidates:
        if (
            request.paid_dong == 0
            and request.amount_dong == amount_dong
            and request.created_at <= at < min(request.expires_at, request.created_at + window)
        ):
            return request, Match.AMOUNT_WINDOW
    return None, Match.UNMATCHED
