"""A month of market payments driven through the real switch with seeded faults.

Returns the ground truth reconciliation must find, derived from the fault log and from what
the switch told each payer (never from reconciliation's own view).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from ledger import Ledger
from payments import (
    Banks,
    FakeBank,
    FaultKind,
    FaultPlan,
    FaultRates,
    FaultyTransport,
    ManualClock,
    MarketDayRule,
    Payment,
    PaymentStatus,
    Switch,
    settlement_for_day,
    write_settlement_files,
)
from payments.directory import (
    add_receiving_account,
    create_commune,
    create_district,
    create_market,
    register_vendor,
)
from payments.reconciliation.model import Kind
from payments.settlement import BUSINESS_TZ
from payments.tables import fault_log

BINS = ("970405", "970415", "970418")
FIRST_DAY = date(2026, 5, 1)
# Realistic per-message fault rates: a few in a thousand, as mountain connectivity gives.
REALISTIC_RATES = FaultRates(
    {
        FaultKind.BANK_OFFLINE: 0.004,
        FaultKind.TIMEOUT_BEFORE_COMMIT: 0.01,
        FaultKind.INSUFFICIENT_FUNDS: 0.003,
        FaultKind.AMOUNT_OVER_LIMIT: 0.001,
        FaultKind.TIMEOUT_AFTER_COMMIT: 0.01,
        FaultKind.DUPLICATE_NOTIFICATION: 0.006,
        FaultKind.DELAYED_NOTIFICATION: 0.006,
    }
)
RETRY_SHARE = 0.5  # half the buyers told "timeout" try again with the same client id


@dataclass
class Month:
    switch: Switch
    days: list[date]
    expected: set[tuple[Kind, str]] = field(default_factory=set)
    payments: int = 0
    faults: int = 0


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BUSINESS_TZ).astimezone(UTC)


def build_month(
    engine: Engine,
    *,
    days: int = 30,
    payments_per_day: int = 40,
    seed: int = 11,
    rates: FaultRates = REALISTIC_RATES,
    settlement_dir: Path | None = None,
) -> Month:
    rng = random.Random(seed)
    clock = ManualClock(_local(FIRST_DAY, 5) - timedelta(days=1))
    ledger = Ledger(engine, clock=clock.now)
    banks = Banks(engine, ledger)
    for bank_bin in BINS:
        banks.connect(bank_bin, now=clock.now())
    vendor_accounts = [(BINS[i % 3], f"88{i:06d}", f"Nguyen Van {i}") for i in range(12)]
    buyers = [(BINS[i % 3], f"77{i:06d}", f"Buyer {i}") for i in range(30)]
    banks.open_accounts(vendor_accounts + buyers)
    for bank_bin, number, _holder in buyers:
        banks.deposit(bank_bin, number, 50_000_000, deposit_id=f"seed-{number}")
    payloads = []
    with engine.begin() as connection:
        district = create_district(connection, "Đại Từ")
        commune = create_commune(connection, district, "Hùng Sơn")
        rule = MarketDayRule("interval", interval_days=1, anchor=FIRST_DAY)
        market = create_market(connection, commune, "Chợ trung tâm Đại Từ", rule, 10_000)
        for index, (bank_bin, number, holder) in enumerate(vendor_accounts):
            vendor, _token = register_vendor(
                connection,
                market_id=market,
                name=holder,
                phone=f"0912{index:06d}",
                category="rau",
                stall=f"A{index}",
                now=clock.now(),
            )
            account = add_receiving_account(
                connection,
                ledger,
                vendor_id=vendor.id,
                bank_bin=bank_bin,
                account_number=number,
                city="Dai Tu",
                now=clock.now(),
            )
            payloads.append(account.static_payload)
    plan = FaultPlan(seed=seed, default=rates)
    switch = Switch(engine, ledger, banks, FaultyTransport(FakeBank(ledger), plan), clock)
    month = Month(switch, [FIRST_DAY + timedelta(days=d) for d in range(days)])
    for day in month.days:
        _market_day(month, clock, rng, day, payloads, buyers, payments_per_day)
        if settlement_dir is not None:
            with engine.connect() as connection:
                write_settlement_files(settlement_for_day(connection, day), settlement_dir)
    with engine.connect() as connection:
        month.faults = len(connection.execute(select(fault_log)).all())
    return month


def _market_day(month, clock, rng, day, payloads, buyers, count) -> None:  # type: ignore[no-untyped-def]
    clock.set(_local(day, 5))
    batch = []
    for number in range(count):
        payer_bin, payer_account, _name = rng.choice(buyers)
        amount = rng.choice([5, 10, 20, 25, 40, 100, 300]) * 1000
        batch.append(
            Payment(rng.choice(payloads), payer_bin, payer_account, f"{day:%m%d}-{number}", amount)
        )
    month.payments += len(batch)
    # switch ref -> the clock time of the attempt whose credit reached the vendor
    committed_at: dict[str, datetime] = {}
    told_timeout: set[str] = set()
    retries = []
    for payment, outcome in zip(batch, month.switch.pay_many(batch), strict=True):
        if outcome.committed and outcome.status is not PaymentStatus.DUPLICATE:
            committed_at[outcome.switch_ref] = clock.now()
        if outcome.status is PaymentStatus.TIMEOUT:
            told_timeout.add(outcome.switch_ref)
            if rng.random() < RETRY_SHARE:
                retries.append(payment)
    if retries:
        clock.advance(120)
        for outcome in month.switch.pay_many(retries):
            told_timeout.discard(outcome.switch_ref)
            if outcome.committed and outcome.status is not PaymentStatus.DUPLICATE:
                committed_at[outcome.switch_ref] = clock.now()
            if outcome.status is PaymentStatus.TIMEOUT:
                told_timeout.add(outcome.switch_ref)
    for ref in told_timeout & set(committed_at):
        # Money moved, the payer was last told "no answer" and never heard otherwise.
        month.expected.add((Kind.MISSING_AT_SWITCH, ref))
    for ref, kind, at in _faults_of(month, day):
        # A notification fault matters only on the attempt that actually credited the vendor.
        if committed_at.get(ref) != at:
            continue
        if kind == FaultKind.DUPLICATE_NOTIFICATION.value:
            month.expected.add((Kind.DUPLICATE, ref))
        elif kind == FaultKind.DELAYED_NOTIFICATION.value:
            month.expected.add((Kind.LATE, ref))
    clock.advance(3600)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _faults_of(month: Month, day: date) -> list[tuple[str, str, datetime]]:
    start = _local(day, 0)
    with month.switch.engine.connect() as connection:
        rows = connection.execute(
            select(fault_log).where(
                fault_log.c.created_at >= start, fault_log.c.created_at < start + timedelta(days=1)
            )
        ).all()
    return [(row.client_transfer_id, row.fault, _utc(row.created_at)) for row in rows]
