"""The market directory: districts -> communes -> markets -> vendors -> receiving accounts.

Service functions take an open SQLAlchemy ``Connection`` (the caller owns the transaction),
validate their input before writing anything, and raise ``PaymentError`` subclasses naming the
problem. A vendor's API token is returned once at registration and stored only as SHA-256 (it
is 256 random bits, so a fast hash is the right tool; passwords would need argon2).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from lunardate import LunarDate
from sqlalchemy import Connection, CursorResult, insert, select

from ledger import Ledger
from payments.banks import account_code, customer_account_id
from payments.errors import Conflict, InvalidInput, NotFound, UnknownAccount, UnknownBank
from payments.tables import (
    ACCOUNT_MAX_CHARS,
    CATEGORY_MAX_CHARS,
    NAME_MAX_CHARS,
    STALL_MAX_CHARS,
    banks,
    communes,
    districts,
    markets,
    receiving_accounts,
    vendors,
)
from qr import VietQR, build, strip_diacritics

MAX_INTERVAL_DAYS = 30  # a market held less often than monthly is not a periodic market
MAX_STALL_FEE_DONG = 10_000_000
LUNAR_MONTH_MAX_DAY = 30
CITY_MAX_CHARS = 15  # EMVCo tag 60
MERCHANT_NAME_MAX_CHARS = 25  # EMVCo tag 59
MAX_LINKS_PER_CALL = 5000  # receiving accounts one add_receiving_accounts call checks and writes
_PHONE = re.compile(r"^\d{9,15}$")
_ACCOUNT = re.compile(rf"^[0-9A-Za-z]{{1,{ACCOUNT_MAX_CHARS}}}$")

TokenFactory = Callable[[], str]


@dataclass(frozen=True)
class MarketDayRule:
    """When a market is held: every ``interval_days`` from ``anchor`` or on fixed lunar days."""

    kind: str  # "interval" | "lunar"
    interval_days: int | None = None
    anchor: date | None = None
    lunar_days: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "interval":
            if self.anchor is None or self.interval_days is None:
                raise InvalidInput("an interval market-day rule needs interval_days and anchor")
            if not 1 <= self.interval_days <= MAX_INTERVAL_DAYS:
                raise InvalidInput(
                    f"interval_days {self.interval_days}: must be 1..{MAX_INTERVAL_DAYS}"
                )
        elif self.kind == "lunar":
            bad = [d for d in self.lunar_days if not 1 <= d <= LUNAR_MONTH_MAX_DAY]
            if not self.lunar_days or bad:
                raise InvalidInput(f"lunar_days {list(self.lunar_days)}: need days in 1..30")
        else:
            raise InvalidInput(f"market-day rule kind {self.kind!r}: use 'interval' or 'lunar'")

    def is_market_day(self, day: date) -> bool:
        if self.kind == "interval":
            assert self.anchor is not None
            assert self.interval_days is not None
            return (day - self.anchor).days % self.interval_days == 0
        return LunarDate.from_solar_date(day.year, day.month, day.day).day in self.lunar_days


@dataclass(frozen=True)
class Vendor:
    id: int
    market_id: int
    name: str
    phone: str
    category: str
    stall: str


@dataclass(frozen=True)
class ReceivingAccount:
    id: int
    vendor_id: int
    bank_bin: str
    account_number: str
    holder_name: str
    ledger_account_id: int
    static_payload: str


def _inserted_id(result: CursorResult[object]) -> int:
    key = result.inserted_primary_key
    assert key is not None, "an INSERT into a table with a primary key returns it"
    return int(key[0])


def _text(field: str, value: str, max_chars: int) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > max_chars:
        raise InvalidInput(f"{field} {value!r}: must be 1..{max_chars} characters")
    return cleaned


def create_district(connection: Connection, name: str) -> int:
    name = _text("district name", name, NAME_MAX_CHARS)
    if connection.scalar(select(districts.c.id).where(districts.c.name == name)) is not None:
        raise Conflict(f"district {name!r} already exists")
    return _inserted_id(connection.execute(insert(districts).values(name=name)))


def create_commune(connection: Connection, district_id: int, name: str) -> int:
    name = _text("commune name", name, NAME_MAX_CHARS)
    if connection.scalar(select(districts.c.id).where(districts.c.id == district_id)) is None:
        raise NotFound(f"district {district_id} does not exist")
    same = (communes.c.district_id == district_id) & (communes.c.name == name)
    if connection.scalar(select(communes.c.id).where(same)) is not None:
        raise Conflict(f"commune {name!r} already exists in district {district_id}")
    result = connection.execute(insert(communes).values(district_id=district_id, name=name))
    return _inserted_id(result)


def create_market(
    connection: Connection, commune_id: int, name: str, rule: MarketDayRule, stall_fee_dong: int
) -> int:
    name = _text("market name", name, NAME_MAX_CHARS)
    if type(stall_fee_dong) is not int or not 0 <= stall_fee_dong <= MAX_STALL_FEE_DONG:
        raise InvalidInput(f"stall_fee_dong {stall_fee_dong!r}: must be 0..{MAX_STALL_FEE_DONG}")
    if connection.scalar(select(communes.c.id).where(communes.c.id == commune_id)) is None:
        raise NotFound(f"commune {commune_id} does not exist")
    same = (markets.c.commune_id == commune_id) & (markets.c.name == name)
    if connection.scalar(select(markets.c.id).where(same)) is not None:
        raise Conflict(f"market {name!r} already exists in commune {commune_id}")
    result = connection.execute(
        insert(markets).values(
            commune_id=commune_id,
            name=name,
            day_rule=rule.kind,
            interval_days=rule.interval_days,
            anchor_date=rule.anchor,
            lunar_days=",".join(str(d) for d in rule.lunar_days) or None,
            stall_fee_dong=stall_fee_dong,
        )
    )
    return _inserted_id(result)


def market_rule(connection: Connection, market_id: int) -> MarketDayRule:
    row = connection.execute(select(markets).where(markets.c.id == market_id)).first()
    if row is None:
        raise NotFound(f"market {market_id} does not exist")
    days = tuple(int(d) for d in row.lunar_days.split(",")) if row.lunar_days else ()
    return MarketDayRule(row.day_rule, row.interval_days, row.anchor_date, days)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_vendor(
    connection: Connection,
    *,
    market_id: int,
    name: str,
    phone: str,
    category: str,
    stall: str,
    now: datetime,
    token_factory: TokenFactory = lambda: secrets.token_urlsafe(32),
) -> tuple[Vendor, str]:
    """Register a vendor; returns it and its API token (shown once, stored hashed)."""
    name = _text("vendor name", name, NAME_MAX_CHARS)
    category = _text("category", category, CATEGORY_MAX_CHARS)
    stall = _text("stall", stall, STALL_MAX_CHARS)
    if not _PHONE.match(phone):
        raise InvalidInput(f"phone {phone!r}: must be 9..15 digits")
    if connection.scalar(select(markets.c.id).where(markets.c.id == market_id)) is None:
        raise NotFound(f"market {market_id} does not exist")
    if connection.scalar(select(vendors.c.id).where(vendors.c.phone == phone)) is not None:
        raise Conflict(f"a vendor with phone {phone} is already registered")
    token = token_factory()
    result = connection.execute(
        insert(vendors).values(
            market_id=market_id,
            name=name,
            phone=phone,
            category=category,
            stall=stall,
            token_hash=hash_token(token),
            created_at=now,
        )
    )
    return Vendor(_inserted_id(result), market_id, name, phone, category, stall), token


def vendor_by_token(connection: Connection, token: str) -> Vendor | None:
    row = connection.execute(
        select(vendors).where(vendors.c.token_hash == hash_token(token))
    ).first()
    return None if row is None else _vendor(row)


def get_vendor(connection: Connection, vendor_id: int) -> Vendor:
    row = connection.execute(select(vendors).where(vendors.c.id == vendor_id)).first()
    if row is None:
        raise NotFound(f"vendor {vendor_id} does not exist")
    return _vendor(row)


def _vendor(row: object) -> Vendor:
    return Vendor(
        id=row.id,  # type: ignore[attr-defined]
        market_id=row.market_id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        phone=row.phone,  # type: ignore[attr-defined]
        category=row.category,  # type: ignore[attr-defined]
        stall=row.stall,  # type: ignore[attr-defined]
    )


@dataclass(frozen=True, slots=True)
class AccountLink:
    """A vendor's bank account to register as a receiving account."""

    vendor_id: int
    bank_bin: str
    account_number: str


def add_receiving_account(
    connection: Connection,
    ledger: Ledger,
    *,
    vendor_id: int,
    bank_bin: str,
    account_number: str,
    city: str,
    now: datetime,
) -> ReceivingAccount:
    """Link a vendor's existing bank account and store its static VietQR (the sticker)."""
    link = AccountLink(vendor_id, bank_bin, account_number)
    (account,) = add_receiving_accounts(connection, ledger, [link], city=city, now=now)
    return account


def add_receiving_accounts(
    connection: Connection,
    ledger: Ledger,
    links: Sequence[AccountLink],
    *,
    city: str,
    now: datetime,
) -> list[ReceivingAccount]:
    """``add_receiving_account`` for many accounts with a few statements: every link is checked
    first (the first problem raises and nothing is written), then one bulk insert."""
    if len(links) > MAX_LINKS_PER_CALL:
        raise InvalidInput(f"at most {MAX_LINKS_PER_CALL} accounts a call, got {len(links)}")
    if not links:
        return []
    for link in links:
        if not _ACCOUNT.match(link.account_number):
            raise InvalidInput(f"account number {link.account_number!r}: 1..19 letters or digits")
    known_vendors = set(
        connection.scalars(
            select(vendors.c.id).where(vendors.c.id.in_({link.vendor_id for link in links}))
        )
    )
    connected = set(
        connection.scalars(
            select(banks.c.bin).where(banks.c.bin.in_({link.bank_bin for link in links}))
        )
    )
    holders = _ledger_accounts(ledger, links)
    taken = _taken(connection, links)
    seen: set[tuple[str, str]] = set()
    for link in links:
        key = (link.bank_bin, link.account_number)
        if link.vendor_id not in known_vendors:
            raise NotFound(f"vendor {link.vendor_id} does not exist")
        if link.bank_bin not in connected:
            raise UnknownBank(f"no bank with BIN {link.bank_bin!r} is connected to the switch")
        if key not in holders:
            raise UnknownAccount(f"bank {link.bank_bin} has no account {link.account_number}")
        if key in taken or key in seen:
            raise Conflict(
                f"account {link.bank_bin}:{link.account_number} is already a receiving account"
            )
        seen.add(key)
    made = []
    for link in links:
        ledger_id, holder = holders[(link.bank_bin, link.account_number)]
        payload = static_payload(link.bank_bin, link.account_number, holder, city)
        made.append((link, ledger_id, holder, payload))
    # Keyed by (bank, account), so the rows' order does not matter (asking SQLAlchemy for
    # parameter order would cost one INSERT per row on SQLite).
    inserted = connection.execute(
        insert(receiving_accounts).returning(
            receiving_accounts.c.id,
            receiving_accounts.c.bank_bin,
            receiving_accounts.c.account_number,
        ),
        [
            {
                "vendor_id": link.vendor_id,
                "bank_bin": link.bank_bin,
                "account_number": link.account_number,
                "holder_name": holder,
                "ledger_account_id": ledger_id,
                "static_payload": payload,
                "created_at": now,
            }
            for link, ledger_id, holder, payload in made
        ],
    )
    ids = {(row.bank_bin, row.account_number): int(row.id) for row in inserted}
    return [
        ReceivingAccount(
            ids[(link.bank_bin, link.account_number)],
            link.vendor_id,
            link.bank_bin,
            link.account_number,
            holder,
            ledger_id,
            payload,
        )
        for link, ledger_id, holder, payload in made
    ]


def _ledger_accounts(
    ledger: Ledger, links: Sequence[AccountLink]
) -> dict[tuple[str, str], tuple[int, str]]:
    """(bank, account) -> (ledger id, holder) for the links' accounts that exist in the ledger.

    Banks open customer accounts under derived ids (``payments.banks``), so one lookup by id
    finds them; an account opened otherwise is looked up by its code."""
    keys = {(link.bank_bin, link.account_number) for link in links}
    by_id = {customer_account_id(b, a): (b, a) for b, a in keys}
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for account in ledger.lookup_accounts(by_id):
        key = by_id[account.id]
        if account.code == account_code(*key):
            found[key] = (account.id, account.holder)
    for key in sorted(keys - found.keys()):
        other = ledger.account_by_code(account_code(*key))
        if other is not None:
            found[key] = (other.id, other.holder)
    return found


def _taken(connection: Connection, links: Sequence[AccountLink]) -> set[tuple[str, str]]:
    numbers = {link.account_number for link in links}
    rows = connection.execute(
        select(receiving_accounts.c.bank_bin, receiving_accounts.c.account_number).where(
            receiving_accounts.c.account_number.in_(numbers)
        )
    )
    return {(row.bank_bin, row.account_number) for row in rows}


def merchant_text(text: str, max_chars: int) -> str:
    """What fits in a VietQR text field: upper-case ASCII, cut to the field's length."""
    return strip_diacritics(text).upper()[:max_chars].strip()


def static_payload(bank_bin: str, account_number: str, holder: str, city: str) -> str:
    code = VietQR(
        bin=bank_bin,
        account=account_number,
        merchant_name=merchant_text(holder, MERCHANT_NAME_MAX_CHARS),
        merchant_city=merchant_text(city, CITY_MAX_CHARS),
        point_of_initiation="static",
    )
    return build(code)


def receiving_accounts_of(connection: Connection, vendor_id: int) -> list[ReceivingAccount]:
    rows = connection.execute(
        select(receiving_accounts)
        .where(receiving_accounts.c.vendor_id == vendor_id)
        .order_by(receiving_accounts.c.id)
    ).all()
    return [_receiving(row) for row in rows]


def receiving_account(connection: Connection, account_id: int) -> ReceivingAccount:
    row = connection.execute(
        select(receiving_accounts).where(receiving_accounts.c.id == account_id)
    ).first()
    if row is None:
        raise NotFound(f"receiving account {account_id} does not exist")
    return _receiving(row)


def _receiving(row: object) -> ReceivingAccount:
    return ReceivingAccount(
        id=row.id,  # type: ignore[attr-defined]
        vendor_id=row.vendor_id,  # type: ignore[attr-defined]
        bank_bin=row.bank_bin,  # type: ignore[attr-defined]
        account_number=row.account_number,  # type: ignore[attr-defined]
        holder_name=row.holder_name,  # type: ignore[attr-defined]
        ledger_account_id=row.ledger_account_id,  # type: ignore[attr-defined]
        static_payload=row.static_payload,  # type: ignore[attr-defined]
    )


def directory_tree(connection: Connection) -> list[dict[str, object]]:
    """Districts with their communes and markets (for the API and the dashboard)."""
    district_rows = connection.execute(select(districts).order_by(districts.c.id)).all()
    commune_rows = connection.execute(select(communes).order_by(communes.c.id)).all()
    market_rows = connection.execute(select(markets).order_by(markets.c.id)).all()
    tree: list[dict[str, object]] = []
    for district in district_rows:
        district_communes: list[dict[str, object]] = []
        for commune in (c for c in commune_rows if c.district_id == district.id):
            commune_markets = [
                {
                    "id": m.id,
                    "name": m.name,
                    "day_rule": m.day_rule,
                    "interval_days": m.interval_days,
                    "anchor_date": m.anchor_date.isoformat() if m.anchor_date else None,
                    "lunar_days": m.lunar_days,
                    "stall_fee_dong": m.stall_fee_dong,
                }
                for m in market_rows
                if m.commune_id == commune.id
            ]
            district_communes.append(
                {"id": commune.id, "name": commune.name, "markets": commune_markets}
            )
        tree.append({"id": district.id, "name": district.name, "communes": district_communes})
    return tree
