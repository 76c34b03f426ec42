"""Factories for payments tests: a market, a vendor with two banks, funded buyers.

Plain functions plus named fixtures (conftest.py); everything goes through the public services,
on the real database of the ``db`` fixture.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select

from ledger import Ledger
from payments.banks import Banks, FakeBank
from payments.clock import ManualClock
from payments.directory import (
    MarketDayRule,
    ReceivingAccount,
    Vendor,
    add_receiving_account,
    create_commune,
    create_district,
    create_market,
    register_vendor,
)
from payments.faults import FaultPlan, FaultyTransport
from payments.messages import BankTransport
from payments.notifications import EventBus
from payments.ratelimit import RateLimiter
from payments.requests import REQUEST_TTL_S, PaymentRequest, create_request
from payments.switch import Switch
from payments.tables import metadata

START = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)  # 08:00 in Thái Nguyên, a market morning
AGRIBANK = "970405"
MB = "970422"
VIETCOMBANK = "970436"
BIDV = "970418"
BANK_BINS = (AGRIBANK, MB, VIETCOMBANK, BIDV)
CITY = "Đại Từ"


@dataclass
class World:
    engine: Engine
    clock: ManualClock
    ledger: Ledger
    banks: Banks
    bank: FakeBank
    switch: Switch
    bus: EventBus


def make_world(engine: Engine, clock: ManualClock, plan: FaultPlan | None = None) -> World:
    ledger = Ledger(engine, clock=clock.now)
    banks = Banks(engine, ledger)
    bank = FakeBank(ledger)
    transport: BankTransport = bank if plan is None else FaultyTransport(bank, plan)
    bus = EventBus()
    limiter = RateLimiter(clock, burst=100, refill_per_s=1.0)
    switch = Switch(engine, ledger, banks, transport, clock, limiter=limiter, bus=bus)
    for bank_bin in BANK_BINS:
        banks.connect(bank_bin, now=clock.now())
    return World(engine, clock, ledger, banks, bank, switch, bus)


@dataclass
class Stall:
    vendor: Vendor
    token: str
    accounts: list[ReceivingAccount]  # [Agribank, MB]


def make_vendor(world: World, *, phone: str = "0912345678", name: str = "Nguyễn Thị Hoa") -> Stall:
    with world.engine.begin() as connection:
        district = create_district(connection, f"Đại Từ {phone}")
        commune = create_commune(connection, district, "Hùng Sơn")
        rule = MarketDayRule("interval", interval_days=5, anchor=date(2026, 5, 4))
        market = create_market(connection, commune, "Chợ Đại Từ", rule, 10_000)
        vendor, token = register_vendor(
            connection,
            market_id=market,
            name=name,
            phone=phone,
            category="rau",
            stall="A12",
            now=world.clock.now(),
            token_factory=lambda: f"token-{phone}",
        )
    numbers = [(AGRIBANK, f"1{phone}"), (MB, f"2{phone}")]
    world.banks.open_accounts([(b, n, name) for b, n in numbers])
    accounts = []
    with world.engine.begin() as connection:
        for bank_bin, number in numbers:
            accounts.append(
                add_receiving_account(
                    connection,
                    world.ledger,
                    vendor_id=vendor.id,
                    bank_bin=bank_bin,
                    account_number=number,
                    city=CITY,
                    now=world.clock.now(),
                )
            )
    return Stall(vendor, token, accounts)


def make_buyer(
    world: World, bank_bin: str, number: str, *, balance_dong: int = 2_000_000
) -> tuple[str, str]:
    world.banks.open_accounts([(bank_bin, number, "Trần Văn Bình")])
    if balance_dong:
        world.banks.deposit(bank_bin, number, balance_dong, deposit_id=f"{bank_bin}:{number}")
    return bank_bin, number


def open_request(
    world: World,
    account: ReceivingAccount,
    *,
    amount_dong: object,
    note: str = "",
    ttl_s: int = REQUEST_TTL_S,
) -> PaymentRequest:
    """A payment request created in its own transaction at the world's current time."""
    with world.engine.begin() as connection:
        return create_request(
            connection,
            account,
            amount_dong=amount_dong,
            note=note,
            now=world.clock.now(),
            rng=rng(),
            city=CITY,
            ttl_s=ttl_s,
        )


def rng() -> random.Random:
    return random.Random(20260504)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every payments and ledger table: "nothing changed" means these are equal."""
    from ledger.tables import metadata as ledger_metadata

    counts: dict[str, int] = {}
    with engine.connect() as connection:
        for table in [*metadata.sorted_tables, *ledger_metadata.sorted_tables]:
            counts[table.name] = int(
                connection.scalar(select(func.count()).select_from(table)) or 0
            )
    return counts


def balances(world: World, *accounts: tuple[str, str]) -> list[int]:
    return [world.banks.balance_dong(bank_bin, number) for bank_bin, number in accounts]
