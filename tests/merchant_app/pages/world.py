"""A small market world for the page tests, built through payments' own services.

Two vendors (A with two banks, B with one), a buyer with money, one paid request of A. Vendors
log in with the shared test password.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from merchant_app.users import Role, create_user
from merchant_app.wiring import PaymentsWorld
from payments import directory
from payments import requests as payment_requests
from payments.directory import MarketDayRule
from payments.routing import Payment
from payments.tables import payment_requests as requests_table
from tests.merchant_app.pages.site import PASSWORD, Site

VCB, BIDV, TCB = "970436", "970418", "970407"
BUYER = (TCB, "1900123456", "Trần Văn Bình")
BUYER_FUNDS_DONG = 5_000_000


@dataclass
class VendorInfo:
    id: int
    phone: str
    name: str
    holder: str
    accounts: list[tuple[str, str]]
    account_ids: list[int] = field(default_factory=list)


@dataclass
class World:
    site: Site
    payments: PaymentsWorld
    market_id: int
    vendor_a: VendorInfo
    vendor_b: VendorInfo
    request_id: int
    reference: str
    request_payload: str

    def request_count(self) -> int:
        with Session(self.site.engine) as session:
            return int(
                session.execute(select(func.count()).select_from(requests_table)).scalar_one()
            )

    def buyer_secrets(self) -> list[str]:
        """What identifies the buyer personally: name (both spellings) and account number."""
        return [BUYER[2], "TRAN VAN BINH", BUYER[1]]


def open_bank_accounts(
    payments: PaymentsWorld, now: datetime, holders: list[tuple[str, str, str]]
) -> None:
    for bank_bin in sorted({h[0] for h in holders}):
        payments.banks.connect(bank_bin, now=now)
    payments.banks.open_accounts(holders)


def build_market(engine: Engine) -> int:
    with engine.begin() as connection:
        district = directory.create_district(connection, "Đại Từ")
        commune = directory.create_commune(connection, district, "Hùng Sơn")
        return directory.create_market(
            connection,
            commune,
            "Chợ Đại Từ",
            MarketDayRule("interval", interval_days=5, anchor=date(2026, 11, 1)),
            10_000,
        )


def _vendor(site: Site, payments: PaymentsWorld, market_id: int, info: VendorInfo) -> VendorInfo:
    now = site.clock.now()
    with Session(site.engine) as session, session.begin():
        vendor, _token = directory.register_vendor(
            session.connection(),
            market_id=market_id,
            name=info.name,
            phone=info.phone,
            category="rau",
            stall="12",
            now=now,
        )
        create_user(
            session,
            phone=info.phone,
            password=PASSWORD,
            role=Role.VENDOR,
            display_name=info.name,
            now=now,
            vendor_id=vendor.id,
        )
        for bank_bin, number in info.accounts:
            account = directory.add_receiving_account(
                session.connection(),
                payments.ledger,
                vendor_id=vendor.id,
                bank_bin=bank_bin,
                account_number=number,
                city="Dai Tu",
                now=now,
            )
            info.account_ids.append(account.id)
    info.id = vendor.id
    return info


def build_world(site: Site) -> World:
    payments: PaymentsWorld = site.app.state.payments
    market_id = build_market(site.engine)
    a = VendorInfo(
        0,
        "0912111111",
        "Cô Lan rau sạch",
        "Nguyễn Thị Lan",
        [(VCB, "0011223344"), (BIDV, "5566778899")],
    )
    b = VendorInfo(0, "0912222222", "Chú Hùng thịt", "Lê Văn Hùng", [(VCB, "0099887766")])
    open_bank_accounts(
        payments,
        site.clock.now(),
        [
            *[(bin_, num, a.holder) for bin_, num in a.accounts],
            *[(bin_, num, b.holder) for bin_, num in b.accounts],
            BUYER,
        ],
    )
    payments.banks.deposit(BUYER[0], BUYER[1], BUYER_FUNDS_DONG, deposit_id="buyer-1")
    _vendor(site, payments, market_id, a)
    _vendor(site, payments, market_id, b)
    with Session(site.engine) as session, session.begin():
        account = directory.receiving_account(session.connection(), a.account_ids[0])
        import random

        created = payment_requests.create_request(
            session.connection(),
            account,
            amount_dong=25_000,
            note="rau",
            now=site.clock.now(),
            rng=random.Random(8),
            city="Dai Tu",
        )
    outcome = payments.switch.pay(
        Payment(created.payload, BUYER[0], BUYER[1], "world-pay-1", 25_000)
    )
    assert outcome.ok, outcome
    return World(site, payments, market_id, a, b, created.id, created.reference, created.payload)
