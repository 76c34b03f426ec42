"""The rows one batch of payments writes besides the ledger: the switch's and the banks' own
message records, the fault log, vendor credits, feed events and request payments; and the
outcomes reported for committed payments.

Rows are collected in plain lists while a batch is decided and written with one bulk
``INSERT`` per table, inside the same transaction as the ledger batch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, insert, select, update

from ledger import Transfer
from payments.errors import PaymentTimeout
from payments.messages import BankReply, InjectedFault
from payments.notifications import event_id_for, event_row
from payments.requests import Match
from payments.routing import PaymentOutcome, PaymentStatus, Prepared
from payments.tables import (
    bank_messages,
    credits,
    events,
    fault_log,
    payment_requests,
    switch_messages,
)


@dataclass(frozen=True, slots=True)
class CreditPlan:
    """A completed payment's credit to a registered vendor, before it has a row id."""

    switch_ref: str
    ledger_transfer_id: int
    vendor_id: int
    receiving_account_id: int
    amount_dong: int
    memo: str
    payer_name: str
    request_id: int | None
    match: Match
    delay_s: int
    deliveries: int


@dataclass
class BatchRecords:
    now: datetime
    switch_rows: list[dict[str, object]] = field(default_factory=list)
    bank_rows: list[dict[str, object]] = field(default_factory=list)
    fault_rows: list[dict[str, object]] = field(default_factory=list)
    credit_plans: list[CreditPlan] = field(default_factory=list)
    request_paid: dict[int, int] = field(default_factory=dict)  # request id -> new paid_dong

    def switch_message(
        self,
        prepared: Prepared,
        status: PaymentStatus,
        reason: str,
        *,
        credit_leg_id: int | None = None,
    ) -> None:
        """The switch's record; ``credit_leg_id`` is the ledger id of the chain's credit leg
        to the payee when the chain is in the ledger (reconciliation joins on it)."""
        payment, code = prepared.payment, prepared.code
        self.switch_rows.append(
            {
                "client_transfer_id": prepared.switch_ref,
                "payer_bin": payment.payer_bin,
                "payer_account": payment.payer_account,
                "payee_bin": code.bin,
                "payee_account": code.account,
                "amount_dong": prepared.amount_dong,
                "status": status.value,
                "reason": reason[:64],
                "created_at": self.now,
                "ledger_transfer_id": credit_leg_id,
            }
        )

    def bank_messages(self, prepared: Prepared, *, delay_s: int, deliveries: int) -> None:
        """The payer bank's debit record and the payee bank's credit record(s)."""
        payment, code = prepared.payment, prepared.code
        self.bank_rows.append(
            {
                "bank_bin": payment.payer_bin,
                "client_transfer_id": prepared.switch_ref,
                "kind": "debit",
                "account_number": payment.payer_account,
                "amount_dong": prepared.amount_dong,
                "created_at": self.now,
            }
        )
        for _copy in range(deliveries):
            self.bank_rows.append(
                {
                    "bank_bin": code.bin,
                    "client_transfer_id": prepared.switch_ref,
                    "kind": "credit",
                    "account_number": code.account,
                    "amount_dong": prepared.amount_dong,
                    "created_at": self.now + timedelta(seconds=delay_s),
                }
            )

    def faults(self, injected: tuple[InjectedFault, ...]) -> None:
        for fault in injected:
            self.fault_rows.append(
                {
                    "client_transfer_id": fault.client_transfer_id,
                    "bank_bin": fault.bank_bin,
                    "fault": fault.fault.value,
                    "detail": fault.detail[:200],
                    "created_at": self.now,
                }
            )

    def write(self, connection: Connection) -> dict[str, int]:
        """Insert everything; returns the new credit id of each credited switch reference."""
        if self.switch_rows:
            connection.execute(insert(switch_messages), self.switch_rows)
        if self.bank_rows:
            connection.execute(insert(bank_messages), self.bank_rows)
        if self.fault_rows:
            connection.execute(insert(fault_log), self.fault_rows)
        credit_ids = self._write_credits(connection)
        if self.request_paid:
            connection.execute(
                update(payment_requests)
                .where(payment_requests.c.id == bindparam("request_id"))
                .values(paid_dong=bindparam("paid")),
                [{"request_id": rid, "paid": paid} for rid, paid in self.request_paid.items()],
            )
        return credit_ids

    def _write_credits(self, connection: Connection) -> dict[str, int]:
        if not self.credit_plans:
            return {}
        # Rows come back keyed by their switch reference, so their order does not matter; asking
        # for parameter order would make SQLAlchemy send one INSERT per row on SQLite.
        inserted = connection.execute(
            insert(credits).returning(credits.c.client_transfer_id, credits.c.id),
            [
                {
                    "client_transfer_id": plan.switch_ref,
                    "ledger_transfer_id": plan.ledger_transfer_id,
                    "vendor_id": plan.vendor_id,
                    "receiving_account_id": plan.receiving_account_id,
                    "amount_dong": plan.amount_dong,
                    "memo": plan.memo[:64],
                    "payer_name": plan.payer_name[:80],
                    "request_id": plan.request_id,
                    "match": plan.match.value,
                    "created_at": self.now,
                }
                for plan in self.credit_plans
            ],
        )
        credit_ids = {row.client_transfer_id: row.id for row in inserted}
        connection.execute(
            insert(events),
            [
                event_row(
                    ledger_transfer_id=plan.ledger_transfer_id,
                    vendor_id=plan.vendor_id,
                    credit_id=credit_ids[plan.switch_ref],
                    amount_dong=plan.amount_dong,
                    created_at=self.now,
                    delay_s=plan.delay_s,
                    deliveries=plan.deliveries,
                )
                for plan in self.credit_plans
            ],
        )
        return credit_ids


# Bound on an IN (...) list: SQLite allows 32766 parameters, PostgreSQL 65535.
IN_LIST_MAX_ITEMS = 5000


def existing_credits(connection: Connection, refs: list[str]) -> dict[str, dict[str, object]]:
    """The credits earlier attempts made (for reporting a retry's original result)."""
    found: dict[str, dict[str, object]] = {}
    for start in range(0, len(refs), IN_LIST_MAX_ITEMS):
        chunk = refs[start : start + IN_LIST_MAX_ITEMS]
        for row in connection.execute(
            select(credits).where(credits.c.client_transfer_id.in_(chunk))
        ):
            found[row.client_transfer_id] = {
                "credit_id": row.id,
                "vendor_id": row.vendor_id,
                "request_id": row.request_id,
                "match": Match(row.match),
                "event_id": event_id_for(row.ledger_transfer_id),
            }
    return found


def payer_pseudonym(payer_bin: str, payer_account: str) -> str:
    """What a vendor's credit row says about the payer: a stable pseudonym, never the account
    or the name (vendors and officials must not see buyers' personal data)."""
    digest = hashlib.sha256(f"{payer_bin}:{payer_account}".encode()).hexdigest()
    return f"payer-{digest[:16]}"


def completed_outcome(
    prepared: Prepared,
    reply: BankReply,
    chain: list[Transfer],
    plan: CreditPlan | None,
    credit_ids: dict[str, int],
    now: datetime,
) -> PaymentOutcome:
    status, error = PaymentStatus.COMPLETED, None
    if reply.reply_lost:
        status = PaymentStatus.TIMEOUT
        error = PaymentTimeout(
            "no answer from the bank; the payment may have gone through: retry with the "
            "same client transfer id to find out (it will not charge twice)"
        )
    return PaymentOutcome(
        status,
        prepared.switch_ref,
        prepared.amount_dong,
        reason="reply_lost" if reply.reply_lost else "",
        error=error,
        payee_bin=prepared.code.bin,
        payee_account=prepared.code.account,
        payee_name=prepared.code.merchant_name,
        committed=True,
        vendor_id=None if plan is None else plan.vendor_id,
        credit_id=credit_ids.get(prepared.switch_ref),
        event_id=None if plan is None else event_id_for(plan.ledger_transfer_id),
        request_id=None if plan is None else plan.request_id,
        match=None if plan is None else plan.match,
        ledger_transfer_ids=tuple(t.id for t in chain),
        at=now,
    )


def duplicate_outcome(
    prepared: Prepared, chain: list[Transfer], credit: dict[str, object], now: datetime
) -> PaymentOutcome:
    """A retry of a completed payment: what the first attempt did, nothing moved again."""
    return PaymentOutcome(
        PaymentStatus.DUPLICATE,
        prepared.switch_ref,
        prepared.amount_dong,
        reason="already completed: nothing charged again",
        payee_bin=prepared.code.bin,
        payee_account=prepared.code.account,
        payee_name=prepared.code.merchant_name,
        committed=True,
        vendor_id=credit.get("vendor_id"),  # type: ignore[arg-type]
        credit_id=credit.get("credit_id"),  # type: ignore[arg-type]
        event_id=credit.get("event_id"),  # type: ignore[arg-type]
        request_id=credit.get("request_id"),  # type: ignore[arg-type]
        match=credit.get("match"),  # type: ignore[arg-type]
        ledger_transfer_ids=tuple(t.id for t in chain),
        at=now,
    )
