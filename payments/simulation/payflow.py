"""One market day's sales through the real payment flow, in time slots, batched.

For each QR sale: the vendor's code (the sticker's static payload, or a dynamic payment request
with the amount), optionally photographed and decoded (camera mode), parsed by the phone, the
payee's name asked of the switch, then the payment. A slot's payments go to ``Switch.pay_many``
together; a payment that times out or meets an offline bank is sent again with the same client
transfer id (never charged twice) up to the buyer phone's attempt limit. A QR sale that does not
go through ends as a cash sale (``payment_failed``). Cash sales are summed per stall and reason.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, insert

from payments.buyer import BUYER_MAX_ATTEMPTS
from payments.clock import ManualClock
from payments.directory import ReceivingAccount
from payments.errors import PaymentError
from payments.requests import RequestSpec, create_requests
from payments.routing import Payment, PaymentStatus, read_payload
from payments.simulation.camera import photograph_and_scan
from payments.simulation.demand import Buyer, CashReason, Sale
from payments.simulation.setup import MarketRows, buyer_account
from payments.simulation.tables import cash_sales
from payments.simulation.world import MarketDay, MarketModel
from payments.switch import MAX_BATCH_PAYMENTS, Switch

SLOT_MINUTES = 60  # default: sales are paid in hourly batches, the clock moving slot by slot
MAX_SLOT_MINUTES = 24 * 60  # one batch for the whole market day (throughput runs)
RETRY_AFTER_S = 20  # a buyer's phone retries a timed-out payment after 20 seconds
# Field widths of a simulated payment's ledger id (see ``payment_ids``): 63 bits in all.
_RUN_BITS, _DAY_BITS, _MARKET_BITS, _SALE_BITS, _LEG_BITS = 15, 16, 10, 20, 2
_RETRYABLE = (PaymentStatus.TIMEOUT, PaymentStatus.OFFLINE)


@dataclass
class DayTally:
    qr_payments: int = 0
    qr_value_dong: int = 0
    qr_retries: int = 0
    qr_failed: int = 0
    inquiries_failed: int = 0
    dynamic_requests: int = 0
    camera_scans: int = 0
    camera_misreads: int = 0
    # (vendor index, reason) -> [sales, value in đồng]
    cash: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    @property
    def cash_sales(self) -> int:
        return sum(count for count, _value in self.cash.values())

    @property
    def cash_value_dong(self) -> int:
        return sum(value for _count, value in self.cash.values())

    def add_cash(self, vendor: int, reason: CashReason, amount_dong: int) -> None:
        entry = self.cash.setdefault((vendor, reason.value), [0, 0])
        entry[0] += 1
        entry[1] += amount_dong


@dataclass
class Flow:
    """What a market day needs to pay: the wiring and the run's identity."""

    engine: Engine
    clock: ManualClock
    switch: Switch
    run_id: int
    seed: int
    camera_every: int | None  # None in fast mode
    slot_minutes: int = SLOT_MINUTES
    camera_counter: int = 0


def payee(accounts: list[ReceivingAccount], buyer: Buyer) -> ReceivingAccount:
    """The vendor's code at the buyer's own bank if the stall shows one, else the first."""
    for account in accounts:
        if account.bank_bin == buyer.bank_bin:
            return account
    return accounts[0]


def payment_ids(run_id: int, day_number: int, market: int, sale: int) -> tuple[str, int]:
    """A simulated payment's client transfer id and ledger id, both growing with (day, market,
    sale) as the run goes on, so the indexes keyed by them are appended to (a day's transaction
    dirties their last pages only, not pages all over them). A retry reuses both."""
    assert 0 < run_id < 2**_RUN_BITS
    assert 0 <= day_number < 2**_DAY_BITS
    assert 0 <= market < 2**_MARKET_BITS
    assert 0 <= sale < 2**_SALE_BITS
    client_id = f"s{run_id}-{day_number:05d}-{market:03d}-{sale:07d}"
    packed = (((run_id << _DAY_BITS | day_number) << _MARKET_BITS | market) << _SALE_BITS) | sale
    return client_id, (packed << _LEG_BITS) + 1


def pay_market_day(
    flow: Flow, model: MarketModel, rows: MarketRows, market_day: MarketDay, opening: datetime
) -> DayTally:
    tally = DayTally()
    slots: dict[int, list[Sale]] = defaultdict(list)
    for sale in market_day.sales:
        if sale.qr:
            slots[sale.minute // flow.slot_minutes].append(sale)
        else:
            assert sale.cash_reason is not None
            tally.add_cash(sale.vendor, sale.cash_reason, sale.amount_dong)
    rng = random.Random(f"{flow.seed}:{model.key}:payflow:{market_day.day.isoformat()}")
    paid = 0  # the day's QR sales are numbered in the order they are paid (``payment_ids``)
    for slot in sorted(slots):
        flow.clock.set(opening + timedelta(minutes=slot * flow.slot_minutes))
        batch = list(enumerate(slots[slot], start=paid))
        paid += len(batch)
        for start in range(0, len(batch), MAX_BATCH_PAYMENTS):
            _pay_slot(
                flow, model, rows, market_day, batch[start : start + MAX_BATCH_PAYMENTS], rng, tally
            )
    _write_cash(flow, rows, market_day.day, opening, tally)
    return tally


def _pay_slot(
    flow: Flow,
    model: MarketModel,
    rows: MarketRows,
    market_day: MarketDay,
    batch: list[tuple[int, Sale]],
    rng: random.Random,
    tally: DayTally,
) -> None:
    payments: list[tuple[Sale, Payment]] = []
    codes = _codes(flow, model, rows, batch, rng, tally)
    for (number, sale), code in zip(batch, codes, strict=True):
        if code is None:
            tally.add_cash(sale.vendor, CashReason.PAYMENT_FAILED, sale.amount_dong)
            continue
        buyer = model.buyers[sale.buyer]
        day_number = market_day.day_number
        client_id, transfer_id = payment_ids(flow.run_id, day_number, model.index, number)
        amount = None if sale.dynamic else sale.amount_dong
        payment = Payment(
            code, buyer.bank_bin, buyer_account(model, sale.buyer), client_id, amount, transfer_id
        )
        payments.append((sale, payment))
    _send(flow, payments, tally)


def _codes(
    flow: Flow,
    model: MarketModel,
    rows: MarketRows,
    batch: list[tuple[int, Sale]],
    rng: random.Random,
    tally: DayTally,
) -> list[str | None]:
    """The payload each buyer's phone ends up with (None: the buyer gave up, pays cash)."""
    now = flow.clock.now()
    codes: list[str | None] = []
    dynamic = [(n, s) for n, s in batch if s.dynamic]
    requests: dict[int, str] = {}
    if dynamic:
        # The vendors' phones ask for their codes one by one; the slot's requests are written
        # together (one query for reference clashes, one bulk insert).
        specs = [
            RequestSpec(
                payee(rows.accounts[sale.vendor], model.buyers[sale.buyer]), sale.amount_dong
            )
            for _number, sale in dynamic
        ]
        with flow.engine.begin() as connection:
            created = create_requests(connection, specs, now=now, rng=rng, city=rows.city)
        for (number, _sale), request in zip(dynamic, created, strict=True):
            requests[number] = request.payload
        tally.dynamic_requests += len(dynamic)
    for number, sale in batch:
        buyer = model.buyers[sale.buyer]
        account = payee(rows.accounts[sale.vendor], buyer)
        payload = requests.get(number, account.static_payload)
        codes.append(_read(flow, account, payload, buyer, model, sale, rng, tally))
    return codes


def _read(
    flow: Flow,
    account: ReceivingAccount,
    payload: str,
    buyer: Buyer,
    model: MarketModel,
    sale: Sale,
    rng: random.Random,
    tally: DayTally,
) -> str | None:
    if flow.camera_every is not None:
        flow.camera_counter += 1
        if flow.camera_counter % flow.camera_every == 0:
            tally.camera_scans += 1
            seen = photograph_and_scan(payload, rng)
            if seen != payload:
                tally.camera_misreads += 1
                seen = photograph_and_scan(payload, rng)  # the buyer takes a second photo
                if seen != payload:
                    return None
    # The phone reads the code (as BuyerPhone.read does), then asks who the payee is. A sticker
    # is read from the switch's parse cache: its text, hence its fields, never change.
    code = read_payload(payload)
    assert (code.bin, code.account) == (account.bank_bin, account.account_number)
    caller = f"buyer:{buyer.bank_bin}:{buyer_account(model, sale.buyer)}"
    try:
        flow.switch.name_inquiry(code.bin, code.account, caller=caller)
    except PaymentError:
        tally.inquiries_failed += 1
        return None
    return payload


def _send(flow: Flow, payments: list[tuple[Sale, Payment]], tally: DayTally) -> None:
    pending = payments
    for attempt in range(1, BUYER_MAX_ATTEMPTS + 1):
        if not pending:
            return
        if attempt > 1:
            flow.clock.advance(RETRY_AFTER_S)
            tally.qr_retries += len(pending)
        outcomes = flow.switch.pay_many([payment for _sale, payment in pending])
        again = []
        for (sale, payment), outcome in zip(pending, outcomes, strict=True):
            if outcome.ok:
                tally.qr_payments += 1
                tally.qr_value_dong += outcome.amount_dong
            elif outcome.status in _RETRYABLE and attempt < BUYER_MAX_ATTEMPTS:
                again.append((sale, payment))
            else:
                tally.qr_failed += 1
                tally.add_cash(sale.vendor, CashReason.PAYMENT_FAILED, sale.amount_dong)
        pending = again


def _write_cash(
    flow: Flow, rows: MarketRows, day: date, opening: datetime, tally: DayTally
) -> None:
    if not tally.cash:
        return
    values = [
        {
            "run_id": flow.run_id,
            "market_id": rows.market_id,
            "vendor_id": rows.vendor_ids[vendor],
            "day": day,
            "at": opening,
            "reason": reason,
            "sales": count,
            "value_dong": value,
        }
        for (vendor, reason), (count, value) in sorted(tally.cash.items())
    ]
    with flow.engine.begin() as connection:
        connection.execute(insert(cash_sales), values)
