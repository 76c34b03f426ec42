"""Three-way matching of one business day: switch records, ledger credits, merchant records.

Pure: rows in, ``list[Discrepancy]`` out, no I/O. Matching is one-to-one by the switch
reference (the client transfer id that every side carries); requests are matched by order
reference inside the bank memo (tolerant of prefixes and truncation), then by amount within a
time window, as Blnk and Lerian Matcher do. Anything that does not match exactly once ends up
in a classified exception with the ids from every side and a suggested fix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from payments.reconciliation.memo import find_reference
from payments.reconciliation.model import (
    CreditRow,
    DayWindow,
    Discrepancy,
    Kind,
    NotificationRow,
    RequestRow,
    SwitchRow,
    SwitchStatus,
    Tolerance,
    UnmatchedCreditRow,
)

_Row = TypeVar("_Row")
PAID_REQUEST_STATUSES = frozenset({"paid", "overpaid", "underpaid"})


@dataclass(frozen=True)
class DayRows:
    """Everything recorded for one business day, from every side."""

    window: DayWindow
    switch: Sequence[SwitchRow]
    credits: Sequence[CreditRow]
    notifications: Sequence[NotificationRow] = ()
    requests: Sequence[RequestRow] = ()
    unmatched_credits: Sequence[UnmatchedCreditRow] = ()
    # Payments found in order before matching (prefilter.py): present on every side, so a
    # request paid by one of them is not an orphan. Their rows are not in the lists above.
    clean_refs: frozenset[str] = frozenset()


def _group(rows: Iterable[_Row], key: str) -> dict[str, list[_Row]]:
    grouped: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        grouped[str(getattr(row, key))].append(row)
    return grouped


def match_day(rows: DayRows, tolerance: Tolerance | None = None) -> list[Discrepancy]:
    """Every discrepancy of the day, sorted by kind then reference (stable output)."""
    tol = tolerance or Tolerance()
    switch_by_ref = _group(rows.switch, "switch_ref")
    credits_by_ref = _group(rows.credits, "switch_ref")
    found: list[Discrepancy] = []
    for ref in sorted(set(switch_by_ref) | set(credits_by_ref)):
        attempts = switch_by_ref.get(ref, [])
        credits = credits_by_ref.get(ref, [])
        if _belongs_to_day(rows.window, attempts, credits):
            found.extend(_match_payment(ref, attempts, credits, tol))
    found.extend(_match_notifications(rows, credits_by_ref, tol))
    found.extend(_match_requests(rows, credits_by_ref))
    found.extend(_match_unmatched_credits(rows, tol))
    return sorted(found, key=Discrepancy.sort_key)


def _belongs_to_day(window: DayWindow, attempts: list[SwitchRow], credits: list[CreditRow]) -> bool:
    """A payment belongs to the day of its first switch record (else of its first credit).

    The job loads a slightly wider window so that a posting that slipped past midnight is still
    seen next to its switch record (and reported ``late``) rather than as two missing halves.
    """
    times = [row.at for row in attempts] or [row.at for row in credits]
    return window.contains(min(times))


def _match_payment(
    ref: str, attempts: list[SwitchRow], credits: list[CreditRow], tol: Tolerance
) -> list[Discrepancy]:
    done = [row for row in attempts if row.status is SwitchStatus.OK]
    ids = tuple(credit.transfer_id for credit in credits)
    first = done or attempts
    bank = first[0] if first else None
    bank_bin = bank.payee_bin if bank is not None else credits[0].payee_bin
    vendor = (credits[0].vendor_id if credits else None) or (bank.vendor_id if bank else None)
    out: list[Discrepancy] = []
    if len(done) > 1:
        out.append(_dup(ref, bank_bin, vendor, ids, f"switch recorded {len(done)} completions"))
    if len(credits) > 1:
        out.append(_dup(ref, bank_bin, vendor, ids, f"ledger holds {len(credits)} credits"))
    if done and not credits:
        out.append(
            Discrepancy(
                Kind.MISSING_IN_LEDGER,
                ref,
                "the switch completed the payment but no vendor credit is in the ledger",
                "re-drive the transfer with the same client id (idempotent), or mark the switch "
                "record failed and tell the payer",
                bank_bin=bank_bin,
                vendor_id=vendor,
                amount_expected_dong=done[0].amount_dong,
            )
        )
    confirmed = any(row.status is SwitchStatus.CONFIRMED for row in attempts)
    if credits and not done and not confirmed:
        seen = ", ".join(sorted({row.status.value for row in attempts})) or "nothing"
        out.append(
            Discrepancy(
                Kind.MISSING_AT_SWITCH,
                ref,
                f"the ledger credited the vendor but the switch recorded {seen}",
                "mark the switch record completed and tell the payer the payment went through "
                "(do not let them pay again)",
                bank_bin=bank_bin,
                vendor_id=vendor,
                amount_found_dong=credits[0].amount_dong,
                ledger_transfer_ids=ids,
            )
        )
    if credits and (done or confirmed):
        first_attempt = min(attempts, key=lambda row: row.at)
        out.extend(_compare_amount_and_time(ref, first_attempt, credits[0], tol))
    return out


def _dup(
    ref: str, bank_bin: str, vendor: int | None, ids: tuple[int, ...], what: str
) -> Discrepancy:
    return Discrepancy(
        Kind.DUPLICATE,
        ref,
        what,
        "reverse the extra posting with a new transfer and keep the first",
        bank_bin=bank_bin,
        vendor_id=vendor,
        ledger_transfer_ids=ids,
    )


def _compare_amount_and_time(
    ref: str, attempt: SwitchRow, credit: CreditRow, tol: Tolerance
) -> list[Discrepancy]:
    out: list[Discrepancy] = []
    common = {
        "bank_bin": attempt.payee_bin,
        "vendor_id": credit.vendor_id,
        "ledger_transfer_ids": (credit.transfer_id,),
    }
    if attempt.amount_dong != credit.amount_dong:
        out.append(
            Discrepancy(
                Kind.AMOUNT_MISMATCH,
                ref,
                f"switch {attempt.amount_dong} đồng, ledger {credit.amount_dong} đồng",
                "post a correcting transfer for the difference and notify the vendor",
                amount_expected_dong=attempt.amount_dong,
                amount_found_dong=credit.amount_dong,
                **common,  # type: ignore[arg-type]
            )
        )
    drift_s = abs((credit.at - attempt.at).total_seconds())
    if drift_s > tol.posting_drift_s:
        out.append(
            Discrepancy(
                Kind.LATE,
                ref,
                f"ledger posting {drift_s:.0f} s away from the switch record "
                f"(tolerance {tol.posting_drift_s} s)",
                "book the payment on the business day of the switch record",
                **common,  # type: ignore[arg-type]
            )
        )
    return out


def _match_notifications(
    rows: DayRows, credits_by_ref: dict[str, list[CreditRow]], tol: Tolerance
) -> list[Discrepancy]:
    deliveries = _group(rows.notifications, "switch_ref")
    out: list[Discrepancy] = []
    for ref, credits in sorted(credits_by_ref.items()):
        credit = credits[0]
        if not rows.window.contains(credit.at):
            continue
        sent = deliveries.get(ref, [])
        ids = tuple(row.delivery_id for row in sent)
        base = {
            "bank_bin": credit.payee_bin,
            "vendor_id": credit.vendor_id,
            "ledger_transfer_ids": (credit.transfer_id,),
            "notification_ids": ids,
        }
        if not sent:
            out.append(
                Discrepancy(
                    Kind.MISSING_NOTIFICATION,
                    ref,
                    "the vendor was credited but never notified",
                    "re-send the payment event to the vendor (webhook and live feed)",
                    amount_found_dong=credit.amount_dong,
                    **base,  # type: ignore[arg-type]
                )
            )
            continue
        if len(sent) > 1:
            out.append(
                Discrepancy(
                    Kind.DUPLICATE,
                    ref,
                    f"the vendor was notified {len(sent)} times for one credit",
                    "nothing to move; the receiver must de-duplicate by event id",
                    **base,  # type: ignore[arg-type]
                )
            )
        delay_s = (min(row.at for row in sent) - credit.at).total_seconds()
        if delay_s > tol.notification_delay_s:
            out.append(
                Discrepancy(
                    Kind.LATE,
                    ref,
                    f"first notification {delay_s:.0f} s after the credit "
                    f"(tolerance {tol.notification_delay_s} s)",
                    "check the vendor's connectivity and the webhook retry queue",
                    **base,  # type: ignore[arg-type]
                )
            )
    known = set(credits_by_ref)
    for ref, sent in sorted(deliveries.items()):
        if ref not in known and rows.window.contains(min(row.at for row in sent)):
            out.append(
                Discrepancy(
                    Kind.MISSING_IN_LEDGER,
                    ref,
                    "the vendor was notified of a payment the ledger does not hold",
                    "tell the vendor the payment did not arrive; find why the event was emitted",
                    amount_expected_dong=sent[0].amount_dong,
                    notification_ids=tuple(row.delivery_id for row in sent),
                )
            )
    return out


def _match_requests(rows: DayRows, credits_by_ref: dict[str, list[CreditRow]]) -> list[Discrepancy]:
    out: list[Discrepancy] = []
    for request in sorted(rows.requests, key=lambda row: row.request_id):
        if request.status.lower() not in PAID_REQUEST_STATUSES:
            continue
        missing = [
            ref
            for ref in request.paid_switch_refs
            if ref not in credits_by_ref and ref not in rows.clean_refs
        ]
        if request.paid_switch_refs and not missing:
            continue
        out.append(
            Discrepancy(
                Kind.ORPHAN_REQUEST,
                missing[0] if missing else None,
                f"request {request.reference} is {request.status} but "
                + (
                    f"its payment(s) {', '.join(missing)} are not in the ledger"
                    if missing
                    else "no payment is linked to it"
                ),
                "set the request back to pending and ask the buyer for proof of payment",
                vendor_id=request.vendor_id,
                amount_expected_dong=request.amount_dong,
                request_id=request.request_id,
            )
        )
    return out


def _match_unmatched_credits(rows: DayRows, tol: Tolerance) -> list[Discrepancy]:
    """Credits payments could not attribute: matched here by memo, then amount and time."""
    by_reference = {request.reference: request for request in rows.requests}
    out: list[Discrepancy] = []
    for credit in sorted(rows.unmatched_credits, key=lambda row: row.switch_ref):
        candidates = find_reference(
            credit.memo, by_reference, min_prefix_chars=tol.reference_prefix_chars
        )
        request: RequestRow | None
        if len(candidates) == 1:
            request = by_reference[candidates[0]]
            reason = f"memo {credit.memo!r} carries request {request.reference}"
        else:
            request = _by_amount_and_time(credit, rows.requests, tol)
            reason = (
                f"memo {credit.memo!r} names no request; request {request.reference} matches "
                "its amount and time"
                if request is not None
                else f"memo {credit.memo!r} names no request and no open request matches"
            )
        out.append(
            Discrepancy(
                Kind.UNMATCHED_CREDIT,
                credit.switch_ref,
                reason,
                f"attribute the credit to request {request.reference} and mark it paid"
                if request is not None
                else "attribute the credit by hand or refund the payer",
                vendor_id=credit.vendor_id,
                amount_found_dong=credit.amount_dong,
                request_id=request.request_id if request is not None else None,
            )
        )
    return out


def _by_amount_and_time(
    credit: UnmatchedCreditRow, requests: Sequence[RequestRow], tol: Tolerance
) -> RequestRow | None:
    fits = [
        request
        for request in requests
        if request.amount_dong == credit.amount_dong
        and request.status.lower() not in PAID_REQUEST_STATUSES
        and (credit.vendor_id is None or request.vendor_id == credit.vendor_id)
        and 0 <= (credit.at - request.created_at).total_seconds() <= tol.request_match_window_s
    ]
    # Only an unambiguous match is a suggestion; two candidates means a person must decide.
    return fits[0] if len(fits) == 1 else None
