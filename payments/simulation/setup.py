"""Setting up a simulated world in the database: banks, directory, vendors, buyers' accounts.

Everything is derived from the scenario and the seed: names, phone numbers, account numbers,
API tokens, so two runs write identical rows.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, insert

from ledger import Ledger, Transfer, derive_id
from payments.banks import Banks, FakeBank, cash_account_id, customer_account_id
from payments.directory import (
    MAX_LINKS_PER_CALL,
    AccountLink,
    MarketDayRule,
    ReceivingAccount,
    add_receiving_accounts,
    create_commune,
    create_district,
    create_market,
    register_vendor,
)
from payments.simulation.demand import pick_bank
from payments.simulation.scenario import MarketDays, Scenario
from payments.simulation.tables import sim_markets
from payments.simulation.world import MarketModel, WorldModel, stream

LEDGER_BATCH_MAX = 8000  # the ledger's MAX_BATCH_TRANSFERS / MAX_BATCH_ACCOUNTS
FAMILY_NAMES = ("Nguyễn", "Trần", "Lê", "Hoàng", "Ma", "Nông", "Lường", "Đỗ", "Phạm", "Dương")
MIDDLE_NAMES = ("Văn", "Thị", "Đức", "Thu", "Minh", "Ngọc", "Hữu", "Thanh")
GIVEN_NAMES = (
    "An",
    "Bình",
    "Chi",
    "Dung",
    "Hà",
    "Hải",
    "Hoa",
    "Hùng",
    "Lan",
    "Linh",
    "Mai",
    "Nam",
    "Nga",
    "Phúc",
    "Quang",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Yến",
)


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"


def vendor_phone(market: MarketModel, vendor: int) -> str:
    return f"09{market.index:03d}{vendor:05d}"


def buyer_account(market: MarketModel, buyer: int) -> str:
    return f"6{market.index:03d}{buyer:07d}"


def vendor_account(market: MarketModel, vendor: int, slot: int) -> str:
    return f"8{market.index:03d}{vendor:05d}{slot}"


def day_rule(days: MarketDays) -> MarketDayRule:
    if days.every_days is not None:
        return MarketDayRule("interval", interval_days=days.every_days, anchor=days.anchor)
    assert days.lunar_days is not None
    return MarketDayRule("lunar", lunar_days=tuple(days.lunar_days))


@dataclass
class MarketRows:
    """The database ids of one simulated market and its vendors' receiving accounts."""

    market_id: int
    city: str
    vendor_ids: list[int]
    accounts: dict[int, list[ReceivingAccount]] = field(default_factory=dict)  # vendor index ->


def connect_banks(banks: Banks, scenario: Scenario, now: datetime) -> None:
    for bank_bin in sorted(scenario.banks):
        banks.connect(bank_bin, now=now)


def build_directory(
    engine: Engine, world: WorldModel, run_id: int, now: datetime
) -> dict[str, MarketRows]:
    """Districts, communes, markets and every vendor, in one transaction."""
    scenario = world.scenario
    wanted = {model.key: model for model in world.markets}
    rows: dict[str, MarketRows] = {}
    with engine.begin() as connection:
        for district in scenario.districts.values():
            district_id = create_district(connection, district.name)
            for commune in district.communes.values():
                commune_id = create_commune(connection, district_id, commune.name)
                for key, market in commune.markets.items():
                    if key not in wanted:
                        continue
                    market_id = create_market(
                        connection,
                        commune_id,
                        market.name,
                        day_rule(market.days),
                        market.stall_fee_dong,
                    )
                    connection.execute(
                        insert(sim_markets).values(
                            run_id=run_id, market_key=key, market_id=market_id
                        )
                    )
                    vendor_ids = _register_vendors(connection, world, wanted[key], market_id, now)
                    rows[key] = MarketRows(market_id, district.name, vendor_ids)
    return rows


def _register_vendors(
    connection: object, world: WorldModel, model: MarketModel, market_id: int, now: datetime
) -> list[int]:
    rng = stream(world.seed, model.key, "vendors")
    ids = []
    for index, category in enumerate(model.stalls.categories):
        token = hashlib.sha256(f"{world.seed}:{model.key}:{index}:token".encode()).hexdigest()
        vendor, _token = register_vendor(
            connection,  # type: ignore[arg-type]
            market_id=market_id,
            name=person_name(rng),
            phone=vendor_phone(model, index),
            category=category,
            stall=f"{category[:3].upper()}-{index + 1:04d}",
            now=now,
            token_factory=lambda token=token: token,  # type: ignore[misc]
        )
        ids.append(vendor.id)
    return ids


def open_buyer_accounts(banks: Banks, ledger: Ledger, world: WorldModel) -> int:
    """Accounts with the scenario's deposit for every buyer who could pay by QR."""
    wallet_dong = world.scenario.payments.wallet_dong
    holders: list[tuple[str, str, str]] = []
    for model in world.markets:
        rng = stream(world.seed, model.key, "buyer-names")
        for index, buyer in enumerate(model.buyers):
            name = person_name(rng)
            if buyer.can_pay_qr:
                holders.append((buyer.bank_bin, buyer_account(model, index), name))
    for start in range(0, len(holders), LEDGER_BATCH_MAX):
        chunk = holders[start : start + LEDGER_BATCH_MAX]
        banks.open_accounts(chunk)
        deposits = [
            Transfer(
                id=derive_id(f"sim-deposit:{bank_bin}:{number}"),
                debit_account_id=cash_account_id(bank_bin),
                credit_account_id=customer_account_id(bank_bin, number),
                amount_dong=wallet_dong,
                reference=f"deposit:{bank_bin}:{number}",
            )
            for bank_bin, number, _name in chunk
        ]
        results = ledger.create_transfers(deposits)
        bad = [r for r in results if r.value not in ("ok", "exists")]
        assert not bad, f"opening deposits refused: {bad[:3]}"
    return len(holders)


def adopt(
    engine: Engine,
    banks: Banks,
    ledger: Ledger,
    world: WorldModel,
    model: MarketModel,
    rows: MarketRows,
    new_vendors: list[int],
    now: datetime,
    bank: FakeBank,
) -> int:
    """Open the new adopters' accounts (``bank`` learns their holders, as a real bank would)
    and register them as receiving accounts (stickers)."""
    if not new_vendors:
        return 0
    plans: list[tuple[int, str, str]] = []
    bank_list = sorted(world.scenario.banks.items())
    names = stream(world.seed, model.key, "vendors")
    holders = {index: person_name(names) for index in range(model.vendors)}
    for vendor in new_vendors:
        rng = stream(world.seed, model.key, "vendor-banks", vendor)
        chosen: list[str] = []
        for _slot in range(model.account_counts[vendor]):
            remaining = [(b, s) for b, s in bank_list if b not in chosen]
            if not remaining:
                break
            total = sum(s for _b, s in remaining) or 1.0
            chosen.append(pick_bank(rng, [(b, s / total) for b, s in remaining]))
        for slot, bank_bin in enumerate(chosen):
            plans.append((vendor, bank_bin, vendor_account(model, vendor, slot)))
    opened = [(b, number, holders[v]) for v, b, number in plans]
    banks.open_accounts(opened)
    bank.learn(opened)
    for start in range(0, len(plans), MAX_LINKS_PER_CALL):
        chunk = plans[start : start + MAX_LINKS_PER_CALL]
        links = [AccountLink(rows.vendor_ids[v], b, number) for v, b, number in chunk]
        with engine.begin() as connection:
            accounts = add_receiving_accounts(connection, ledger, links, city=rows.city, now=now)
        for (vendor, _bin, _number), account in zip(chunk, accounts, strict=True):
            rows.accounts.setdefault(vendor, []).append(account)
    return len(plans)
