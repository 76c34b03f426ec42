"""The NAPAS-like switch: name inquiry and QR transfers between the simulated banks.

``Switch.pay_many`` is the one payment path: it checks every payment, asks the payer's and the
payee's bank through the ``BankTransport``, then writes ONE ledger batch (each payment a linked
chain) and every record of the batch (switch and bank messages, fault log, vendor credits, feed
events, request payments) in ONE database transaction. ``pay`` is ``pay_many`` of one, so the
rules are the same whether a phone pays or a simulation pushes thousands at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Connection, Engine, insert, select

from ledger import Ledger, StoredTransfer, Transfer, TransferResult
from payments.banks import Banks
from payments.clock import Clock
from payments.errors import (
    BankOffline,
    InvalidInput,
    PaymentError,
    PaymentTimeout,
    RequestExpired,
    UnknownAccount,
)
from payments.messages import BankMessage, BankReply, BankTransport, MessageKind, ReplyStatus
from payments.notifications import EventBus
from payments.ratelimit import RateLimiter
from payments.records import (
    IN_LIST_MAX_ITEMS,
    BatchRecords,
    CreditPlan,
    completed_outcome,
    duplicate_outcome,
    existing_credits,
    payer_pseudonym,
)
from payments.requests import Match, OpenRequest, match_credit, open_requests
from payments.routing import (
    Payment,
    PaymentOutcome,
    PaymentStatus,
    Prepared,
    error_for,
    failed_outcome,
    judge,
    legs,
    prepare,
    refusal,
)
from payments.tables import fault_log, payment_requests, receiving_accounts

MAX_BATCH_PAYMENTS = 2000  # x at most 3 legs stays under the ledger's 8000 transfers a batch
_DIFFERENT = TransferResult.exists_with_different_fields.value


def _shape(transfer: Transfer | StoredTransfer) -> tuple[int, int, int, int]:
    return (
        transfer.id,
        transfer.debit_account_id,
        transfer.credit_account_id,
        transfer.amount_dong,
    )


class Switch:
    def __init__(
        self,
        engine: Engine,
        ledger: Ledger,
        banks: Banks,
        transport: BankTransport,
        clock: Clock,
        *,
        limiter: RateLimiter | None = None,
        bus: EventBus | None = None,
    ) -> None:
        self._engine = engine
        self._ledger = ledger
        self._banks = banks
        self._transport = transport
        self._clock = clock
        self._limiter = limiter if limiter is not None else RateLimiter(clock)
        self._bus = bus
        self._receiving: dict[tuple[str, str], tuple[int, int]] = {}

    @property
    def engine(self) -> Engine:
        return self._engine

    def name_inquiry(self, bank_bin: str, account_number: str, *, caller: str) -> str:
        """The account holder's name (upper case, no diacritics), as the buyer sees it."""
        self._limiter.take(caller)
        if not account_number.isalnum() or not 1 <= len(account_number) <= 19:
            raise InvalidInput(f"account number {account_number!r}: 1..19 letters or digits")
        self._banks.require(bank_bin)
        reply = self._transport.exchange(BankMessage(MessageKind.INQUIRY, bank_bin, account_number))
        if reply.faults:
            records = BatchRecords(self._clock.now())
            records.faults(reply.faults)
            with self._engine.begin() as connection:
                connection.execute(insert(fault_log), records.fault_rows)
        if reply.status is ReplyStatus.ACCEPTED:
            return reply.holder_name
        if reply.status is ReplyStatus.OFFLINE:
            raise BankOffline(f"bank {bank_bin} is offline; try again later")
        if reply.status is ReplyStatus.TIMEOUT:
            raise PaymentTimeout(f"bank {bank_bin} did not answer in time")
        raise UnknownAccount(f"bank {bank_bin} has no account {account_number}")

    def pay(self, payment: Payment) -> PaymentOutcome:
        return self.pay_many([payment])[0]

    def pay_many(self, payments: Sequence[Payment]) -> list[PaymentOutcome]:
        """Decide and commit a batch; one outcome per payment, in order. Never raises for a
        single payment's problem: its outcome carries the typed error instead."""
        if len(payments) > MAX_BATCH_PAYMENTS:
            raise InvalidInput(
                f"at most {MAX_BATCH_PAYMENTS} payments a batch, got {len(payments)}"
            )
        records = BatchRecords(self._clock.now())
        outcomes: list[PaymentOutcome | None] = [None] * len(payments)
        accepted: list[tuple[int, Prepared, BankReply]] = []
        # Input checks read only caches and their own connections, so they run before the write
        # transaction (on SQLite a second connection inside it would wait for its lock).
        ready = self._check_inputs(payments, outcomes)
        with self._engine.begin() as connection:
            for index, prepared in self._drop_expired(connection, ready, outcomes, records):
                credit_reply = self._ask_banks(prepared, records)
                if isinstance(credit_reply, PaymentOutcome):
                    outcomes[index] = credit_reply
                else:
                    accepted.append((index, prepared, credit_reply))
            self._commit(connection, accepted, outcomes, records)
        done = [outcome for outcome in outcomes if outcome is not None]
        assert len(done) == len(payments)
        if self._bus is not None:
            self._bus.publish([plan.vendor_id for plan in records.credit_plans])
        return done

    def _check_inputs(
        self, payments: Sequence[Payment], outcomes: list[PaymentOutcome | None]
    ) -> list[tuple[int, Prepared]]:
        """Check input; a rejected payment gets its outcome now and writes nothing."""
        ready: list[tuple[int, Prepared]] = []
        for index, payment in enumerate(payments):
            try:
                prepared = prepare(payment)
                self._banks.require(payment.payer_bin)
                self._banks.require(prepared.code.bin)
            except PaymentError as exc:
                outcomes[index] = PaymentOutcome(
                    PaymentStatus.REJECTED, "", payment.amount_dong or 0, exc.code, exc
                )
                continue
            ready.append((index, prepared))
        return ready

    def _drop_expired(
        self,
        connection: Connection,
        ready: list[tuple[int, Prepared]],
        outcomes: list[PaymentOutcome | None],
        records: BatchRecords,
    ) -> list[tuple[int, Prepared]]:
        """Dynamic codes whose payment request has expired are rejected, writing nothing."""
        expired = self._expired_references(connection, [p for _i, p in ready], records)
        kept: list[tuple[int, Prepared]] = []
        for index, prepared in ready:
            if prepared.dynamic and prepared.code.reference in expired:
                error = RequestExpired(
                    f"payment request {prepared.code.reference} has expired; ask the vendor "
                    "for a new code"
                )
                outcomes[index] = failed_outcome(
                    prepared, PaymentStatus.REJECTED, error, records.now
                )
            else:
                kept.append((index, prepared))
        return kept

    def _expired_references(
        self, connection: Connection, prepared: list[Prepared], records: BatchRecords
    ) -> set[str]:
        references = sorted({p.code.reference for p in prepared if p.dynamic and p.code.reference})
        expired: set[str] = set()
        for start in range(0, len(references), IN_LIST_MAX_ITEMS):
            rows = connection.execute(
                select(payment_requests.c.reference, payment_requests.c.expires_at).where(
                    payment_requests.c.reference.in_(references[start : start + IN_LIST_MAX_ITEMS])
                )
            )
            for row in rows:
                expires_at = row.expires_at
                if expires_at.tzinfo is None:
                    expires_at = expires_at.replace(tzinfo=records.now.tzinfo)
                if records.now >= expires_at:
                    expired.add(row.reference)
        return expired

    def _ask_banks(self, prepared: Prepared, records: BatchRecords) -> BankReply | PaymentOutcome:
        """Payer bank approves the debit, payee bank accepts the credit; else a failed outcome."""
        payment, code = prepared.payment, prepared.code
        debit = self._transport.exchange(
            BankMessage(
                MessageKind.DEBIT,
                payment.payer_bin,
                payment.payer_account,
                prepared.amount_dong,
                prepared.switch_ref,
            )
        )
        records.faults(debit.faults)
        if debit.status is not ReplyStatus.ACCEPTED:
            return self._refused(prepared, debit, records, payment.payer_bin)
        credit = self._transport.exchange(
            BankMessage(
                MessageKind.CREDIT,
                code.bin,
                code.account,
                prepared.amount_dong,
                prepared.switch_ref,
            )
        )
        records.faults(credit.faults)
        if credit.status is not ReplyStatus.ACCEPTED:
            return self._refused(prepared, credit, records, code.bin)
        return replace(credit, reply_lost=debit.reply_lost or credit.reply_lost)

    def _refused(
        self, prepared: Prepared, reply: BankReply, records: BatchRecords, bank_bin: str
    ) -> PaymentOutcome:
        status, error = refusal(reply.status.value, reply.reason, bank_bin)
        records.switch_message(prepared, status, reply.reason)
        return failed_outcome(prepared, status, error, records.now)

    def _commit(
        self,
        connection: Connection,
        accepted: list[tuple[int, Prepared, BankReply]],
        outcomes: list[PaymentOutcome | None],
        records: BatchRecords,
    ) -> None:
        chains: list[list[Transfer]] = [
            legs(prepared, self._banks.require(prepared.code.bin).short_name)
            for _index, prepared, _reply in accepted
        ]
        flat = [transfer for chain in chains for transfer in chain]
        results = self._ledger.create_transfers(flat, connection=connection) if flat else []
        receiving = self._receiving_accounts(connection, [p for _i, p, _r in accepted])
        # Only dynamic-code credits are matched to requests; a sticker-only batch reads none.
        dynamic_payees = {(p.code.bin, p.code.account) for _i, p, _r in accepted if p.dynamic}
        candidates = open_requests(
            connection,
            {receiving[key][0] for key in dynamic_payees if key in receiving},
            records.now,
        )
        completed: list[tuple[int, Prepared, BankReply, list[Transfer]]] = []
        duplicates: list[tuple[int, Prepared, list[Transfer]]] = []
        judged = self._judge_all(chains, results)
        for (index, prepared, reply), chain, (status, reason) in zip(
            accepted, chains, judged, strict=True
        ):
            posted = status in (PaymentStatus.COMPLETED, PaymentStatus.DUPLICATE)
            records.switch_message(
                prepared,
                status,
                "reply_lost" if reply.reply_lost else reason,
                credit_leg_id=chain[-1].id if posted else None,
            )
            if status is PaymentStatus.COMPLETED:
                records.bank_messages(prepared, delay_s=reply.delay_s, deliveries=reply.deliveries)
                completed.append((index, prepared, reply, chain))
            elif status is PaymentStatus.DUPLICATE:
                duplicates.append((index, prepared, chain))
            else:
                error = error_for(reason, prepared)
                outcomes[index] = failed_outcome(
                    prepared, status, error, records.now, reason=reason
                )
        for _index, prepared, reply, chain in completed:
            self._plan_credit(prepared, reply, chain, receiving, candidates, records)
        credit_ids = records.write(connection)
        plans = {plan.switch_ref: plan for plan in records.credit_plans}
        for index, prepared, reply, chain in completed:
            plan = plans.get(prepared.switch_ref)
            outcomes[index] = completed_outcome(
                prepared, reply, chain, plan, credit_ids, records.now
            )
        self._report_duplicates(connection, duplicates, outcomes, records)

    def _judge_all(
        self, chains: list[list[Transfer]], results: list[TransferResult]
    ) -> list[tuple[PaymentStatus, str]]:
        """Each chain's status; a replay counts as a duplicate only if every leg is the same."""
        judged: list[tuple[PaymentStatus, str]] = []
        done_here: dict[int, list[Transfer]] = {}  # first leg id -> chain committed in this batch
        unverified: list[int] = []
        position = 0
        for number, chain in enumerate(chains):
            status, reason = judge(results[position : position + len(chain)])
            position += len(chain)
            if status is PaymentStatus.COMPLETED:
                done_here[chain[0].id] = chain
            elif status is PaymentStatus.DUPLICATE:
                earlier = done_here.get(chain[0].id)
                if earlier is None:
                    unverified.append(number)
                elif earlier != chain:
                    status, reason = PaymentStatus.DECLINED, _DIFFERENT
            judged.append((status, reason))
        if unverified:
            ids = [transfer.id for number in unverified for transfer in chains[number]]
            stored = {t.id: _shape(t) for t in self._ledger.get_transfers(ids)}
            for number in unverified:
                if any(stored.get(t.id) != _shape(t) for t in chains[number]):
                    judged[number] = (PaymentStatus.DECLINED, _DIFFERENT)
        return judged

    def _plan_credit(
        self,
        prepared: Prepared,
        reply: BankReply,
        chain: list[Transfer],
        receiving: dict[tuple[str, str], tuple[int, int]],
        candidates: dict[int, list[OpenRequest]],
        records: BatchRecords,
    ) -> None:
        found = receiving.get((prepared.code.bin, prepared.code.account))
        if found is None:
            return  # a plain bank account, not a registered vendor: nothing to announce
        receiving_id, vendor_id = found
        memo = chain[-1].memo
        request: OpenRequest | None = None
        match = Match.STATIC
        if prepared.dynamic:
            request, match = match_credit(
                memo, prepared.amount_dong, records.now, candidates.get(receiving_id, [])
            )
            if request is not None:
                request.paid_dong += prepared.amount_dong
                records.request_paid[request.id] = request.paid_dong
        records.credit_plans.append(
            CreditPlan(
                switch_ref=prepared.switch_ref,
                ledger_transfer_id=chain[-1].id,
                vendor_id=vendor_id,
                receiving_account_id=receiving_id,
                amount_dong=prepared.amount_dong,
                memo=memo,
                payer_name=payer_pseudonym(
                    prepared.payment.payer_bin, prepared.payment.payer_account
                ),
                request_id=None if request is None else request.id,
                match=match,
                delay_s=reply.delay_s,
                deliveries=reply.deliveries,
            )
        )

    def _report_duplicates(
        self,
        connection: Connection,
        duplicates: list[tuple[int, Prepared, list[Transfer]]],
        outcomes: list[PaymentOutcome | None],
        records: BatchRecords,
    ) -> None:
        if not duplicates:
            return
        original = existing_credits(connection, [p.switch_ref for _i, p, _c in duplicates])
        for index, prepared, chain in duplicates:
            credit = original.get(prepared.switch_ref, {})
            outcomes[index] = duplicate_outcome(prepared, chain, credit, records.now)

    def _receiving_accounts(
        self, connection: Connection, prepared: list[Prepared]
    ) -> dict[tuple[str, str], tuple[int, int]]:
        """(bin, account) -> (receiving account id, vendor id) for this batch's payees."""
        wanted = {(p.code.bin, p.code.account) for p in prepared}
        missing = sorted(key for key in wanted if key not in self._receiving)
        for start in range(0, len(missing), IN_LIST_MAX_ITEMS):
            chunk = missing[start : start + IN_LIST_MAX_ITEMS]
            rows = connection.execute(
                select(
                    receiving_accounts.c.bank_bin,
                    receiving_accounts.c.account_number,
                    receiving_accounts.c.id,
                    receiving_accounts.c.vendor_id,
                ).where(receiving_accounts.c.account_number.in_([a for _b, a in chunk]))
            )
            for row in rows:
                # Registered accounts never change hands, so a hit can be cached for good.
                self._receiving[(row.bank_bin, row.account_number)] = (row.id, row.vendor_id)
        return {key: self._receiving[key] for key in wanted if key in self._receiving}
