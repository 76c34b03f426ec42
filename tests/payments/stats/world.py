"""A small seeded market world written as raw rows into payments' tables, kept in Python too.

The statistics are then checked against an independent computation over the Python copy.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    insert,
    select,
)

from payments.stats.refresh import local_midnight_utc
from payments.stats.sql import Rows
from payments.tables import (
    communes,
    credits,
    districts,
    events,
    markets,
    receiving_accounts,
    switch_messages,
    vendors,
)
from payments.tables import metadata as payments_metadata

cash_metadata = MetaData()
cash_sales = Table(
    "test_cash_sales",
    cash_metadata,
    Column("id", Integer, primary_key=True),
    Column("market_id", Integer, nullable=False),
    Column("amount_dong", BigInteger, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

FIRST_DAY = date(2026, 4, 27)  # a Monday: days span two weeks and two months
DAYS = 10
BINS = ("970405", "970415", "970418")
BUYER_NAME = "Trần Thị Bí Mật"  # a buyer's name: must never reach an official's report


@dataclass
class Receipt:
    vendor_id: int
    market_id: int
    amount_dong: int
    at: datetime
    payer: str
    seen_at: datetime


@dataclass
class Attempt:
    market_id: int
    at: datetime
    status: str


@dataclass
class World:
    market_parent: dict[int, tuple[int, int]] = field(default_factory=dict)  # commune, district
    vendors: list[tuple[int, int, datetime, datetime | None]] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    cash: list[tuple[int, int, datetime]] = field(default_factory=list)


def cash_source() -> Rows:
    return select(
        cash_sales.c.market_id,
        cash_sales.c.at,
        (cash_sales.c.id * 0 + 1).label("sales"),
        cash_sales.c.amount_dong.label("value_dong"),
    )


def build_world(engine: Engine, seed: int = 7, *, second_district_id: int = 2) -> World:
    """``second_district_id``: the id of the second district (any integer the directory takes;
    a negative one is beyond what PostgreSQL's packed payer keys hold)."""
    payments_metadata.create_all(engine)
    cash_metadata.create_all(engine)
    rng = random.Random(seed)
    world = World()
    created = datetime(2026, 4, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(districts),
            [{"id": 1, "name": "Đại Từ"}, {"id": second_district_id, "name": "Võ Nhai"}],
        )
        connection.execute(
            insert(communes),
            [
                {"id": 1, "district_id": 1, "name": "Hùng Sơn"},
                {"id": 2, "district_id": 1, "name": "Tân Linh"},
                {"id": 3, "district_id": second_district_id, "name": "Đình Cả"},
            ],
        )
        for market_id, commune_id in ((1, 1), (2, 1), (3, 2), (4, 3)):
            connection.execute(
                insert(markets),
                {
                    "id": market_id,
                    "commune_id": commune_id,
                    "name": f"Chợ {market_id}",
                    "day_rule": "interval",
                    "interval_days": 1,
                    "anchor_date": FIRST_DAY,
                    "lunar_days": None,
                    "stall_fee_dong": 10_000,
                },
            )
            district_id = 1 if commune_id < 3 else second_district_id
            world.market_parent[market_id] = (commune_id, district_id)
        account_of: dict[int, tuple[str, str]] = {}
        for vendor_id in range(1, 31):
            market_id = 1 + vendor_id % 4
            registered = created + timedelta(days=rng.randint(0, 33), hours=rng.randint(0, 23))
            qr_since = None
            connection.execute(
                insert(vendors),
                {
                    "id": vendor_id,
                    "market_id": market_id,
                    "name": f"V{vendor_id}",
                    "phone": f"09{vendor_id:08d}",
                    "category": "rau",
                    "stall": str(vendor_id),
                    "token_hash": f"{vendor_id:064d}",
                    "created_at": registered,
                },
            )
            if rng.random() < 0.75:
                qr_since = registered + timedelta(
                    days=rng.randint(0, 6), minutes=rng.randint(1, 600)
                )
                for number, when in ((0, qr_since), (1, qr_since + timedelta(days=2))):
                    bin_ = BINS[(vendor_id + number) % 3]
                    account = f"{vendor_id:04d}{number}"
                    connection.execute(
                        insert(receiving_accounts),
                        {
                            "vendor_id": vendor_id,
                            "bank_bin": bin_,
                            "account_number": account,
                            "holder_name": f"V{vendor_id}",
                            "ledger_account_id": vendor_id * 10 + number,
                            "static_payload": "x",
                            "created_at": when,
                        },
                    )
                    if number == 0:
                        account_of[vendor_id] = (bin_, account)
            world.vendors.append((vendor_id, market_id, registered, qr_since))
        _payments(connection, rng, world, account_of)
        cash_rows = []
        for day in range(DAYS):
            for _ in range(rng.randint(5, 25)):
                market_id = rng.randint(1, 4)
                at = local_midnight_utc(FIRST_DAY + timedelta(days=day)) + timedelta(
                    hours=rng.randint(4, 12), seconds=rng.randint(0, 3599)
                )
                amount = rng.randint(1, 200) * 1000
                cash_rows.append({"market_id": market_id, "amount_dong": amount, "at": at})
                world.cash.append((market_id, amount, at))
        connection.execute(insert(cash_sales), cash_rows)
    return world


def _payments(connection, rng, world, account_of) -> None:  # type: ignore[no-untyped-def]
    number = 0
    for day in range(DAYS):
        midnight = local_midnight_utc(FIRST_DAY + timedelta(days=day))
        for _ in range(rng.randint(20, 40)):
            vendor_id, market_id, _registered, qr_since = rng.choice(world.vendors)
            # Early morning local time is still the previous UTC day: tests the UTC+7 bucketing.
            at = midnight + timedelta(hours=rng.randint(4, 12), seconds=rng.randint(0, 3599))
            if qr_since is None or qr_since > at:
                continue
            number += 1
            client = f"c{number}"
            payer = (rng.choice(BINS), f"KH{rng.randint(1, 25):06d}")
            bin_, account = account_of[vendor_id]
            status = rng.choices(["completed", "declined", "timeout"], [8, 1, 1])[0]
            connection.execute(
                insert(switch_messages),
                {
                    "client_transfer_id": client,
                    "payer_bin": payer[0],
                    "payer_account": payer[1],
                    "payee_bin": bin_,
                    "payee_account": account,
                    "amount_dong": 1,
                    "status": status,
                    "reason": "",
                    "created_at": at,
                },
            )
            world.attempts.append(Attempt(market_id, at, status))
            if status != "completed":
                continue
            amount = rng.choice([5, 10, 15, 20, 25, 40, 100, 250]) * 1000
            credit_id = connection.execute(
                insert(credits).returning(credits.c.id),
                {
                    "client_transfer_id": client,
                    "ledger_transfer_id": number,
                    "vendor_id": vendor_id,
                    "receiving_account_id": 1,
                    "amount_dong": amount,
                    "memo": "",
                    "payer_name": BUYER_NAME,
                    "request_id": None,
                    "match": "static",
                    "created_at": at,
                },
            ).scalar_one()
            seen = at + timedelta(milliseconds=rng.choice([150, 300, 800, 1200, 5000, 900_000]))
            connection.execute(
                insert(events),
                {
                    "event_id": f"e{number}",
                    "vendor_id": vendor_id,
                    "credit_id": credit_id,
                    "amount_dong": amount,
                    "announcement": "",
                    "spoken": "",
                    "created_at": at,
                    "visible_at": seen,
                    **({"deliveries": 1} if "deliveries" in events.c else {}),
                },
            )
            world.receipts.append(Receipt(vendor_id, market_id, amount, at, ":".join(payer), seen))
