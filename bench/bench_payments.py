"""End-to-end payments per second through the switch, in process.

Three figures on one database: one payment at a time (``Switch.pay``: one DB transaction and
one ledger batch each), batched (``Switch.pay_many``: up to MAX_BATCH_PAYMENTS per transaction),
and one at a time with the real image decode (the buyer's phone scans a rendered sticker PNG
with pyzbar before paying). Each payment is the full flow: parse, bank messages, a linked ledger
chain of 2-3 legs, switch/bank records, vendor credit, feed event.

    .venv/bin/python bench/bench_payments.py                       # SQLite file in a temp dir
    .venv/bin/python bench/bench_payments.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from ledger import Ledger
from merchant_app.database import make_engine
from merchant_app.schema import all_metadata, create_all
from payments.banks import Banks, FakeBank
from payments.buyer import BuyerPhone
from payments.clock import ManualClock
from payments.directory import (
    MarketDayRule,
    add_receiving_account,
    create_commune,
    create_district,
    create_market,
    register_vendor,
)
from payments.ratelimit import RateLimiter
from payments.routing import Payment, PaymentStatus
from payments.switch import MAX_BATCH_PAYMENTS, Switch
from qr import render_png

BANKS = ("970405", "970422", "970436", "970418", "970415")
SEED = 20260504


def build(url: str, vendors: int, buyers: int):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        for metadata in all_metadata():
            metadata.drop_all(engine)
    create_all(engine)
    clock = ManualClock(datetime(2026, 5, 4, 1, tzinfo=UTC))
    ledger = Ledger(engine, clock=clock.now)
    banks = Banks(engine, ledger)
    for bank_bin in BANKS:
        banks.connect(bank_bin, now=clock.now())
    limiter = RateLimiter(clock, burst=10**6, refill_per_s=10**6)
    switch = Switch(engine, ledger, banks, FakeBank(ledger), clock, limiter=limiter)
    stickers = _vendors(engine, ledger, banks, clock, vendors)
    payers = [(BANKS[i % len(BANKS)], f"9{i:08d}") for i in range(buyers)]
    banks.open_accounts([(b, n, f"Buyer {n}") for b, n in payers])
    for bank_bin, number in payers:
        banks.deposit(bank_bin, number, 1_000_000_000, deposit_id=f"{bank_bin}:{number}")
    return engine, clock, switch, stickers, payers


def _vendors(engine, ledger, banks, clock, count):  # type: ignore[no-untyped-def]
    numbers = [(BANKS[i % len(BANKS)], f"1{i:08d}") for i in range(count)]
    banks.open_accounts([(b, n, f"Người bán {i}") for i, (b, n) in enumerate(numbers)])
    stickers = []
    with engine.begin() as connection:
        district = create_district(connection, "Đại Từ")
        commune = create_commune(connection, district, "Hùng Sơn")
        rule = MarketDayRule("lunar", lunar_days=(1, 6, 11, 16, 21, 26))
        market = create_market(connection, commune, "Chợ Đại Từ", rule, 10_000)
        for i, (bank_bin, number) in enumerate(numbers):
            vendor, _token = register_vendor(
                connection,
                market_id=market,
                name=f"Người bán {i}",
                phone=f"09{i:08d}",
                category="rau",
                stall=f"A{i}",
                now=clock.now(),
                token_factory=lambda i=i: f"bench-token-{i}",
            )
            account = add_receiving_account(
                connection,
                ledger,
                vendor_id=vendor.id,
                bank_bin=bank_bin,
                account_number=number,
                city="Đại Từ",
                now=clock.now(),
            )
            stickers.append(account.static_payload)
    return stickers


def _payments(rng: random.Random, stickers, payers, count: int, tag: str):  # type: ignore[no-untyped-def]
    for i in range(count):
        payer = payers[rng.randrange(len(payers))]
        amount = rng.choice((5_000, 10_000, 15_000, 20_000, 25_000, 50_000, 120_000))
        yield Payment(stickers[rng.randrange(len(stickers))], *payer, f"{tag}-{i}", amount)


def one_at_a_time(switch, clock, stickers, payers, count: int) -> float:  # type: ignore[no-untyped-def]
    rng = random.Random(SEED)
    started = time.perf_counter()
    for payment in _payments(rng, stickers, payers, count, "single"):
        outcome = switch.pay(payment)
        assert outcome.status is PaymentStatus.COMPLETED, outcome
        clock.advance(0.2)
    return count / (time.perf_counter() - started)


def batched(switch, clock, stickers, payers, count: int, batch: int) -> float:  # type: ignore[no-untyped-def]
    rng = random.Random(SEED + 1)
    pending = list(_payments(rng, stickers, payers, count, "batch"))
    started = time.perf_counter()
    for start in range(0, count, batch):
        outcomes = switch.pay_many(pending[start : start + batch])
        assert all(o.status is PaymentStatus.COMPLETED for o in outcomes)
        clock.advance(1)
    return count / (time.perf_counter() - started)


def with_camera(switch, clock, stickers, payers, count: int) -> float:  # type: ignore[no-untyped-def]
    rng = random.Random(SEED + 2)
    pngs = {payload: render_png(payload) for payload in stickers[:20]}
    chosen = list(pngs)
    started = time.perf_counter()
    for i in range(count):
        bank_bin, number = payers[rng.randrange(len(payers))]
        phone = BuyerPhone(
            switch, payer_bin=bank_bin, payer_account=number, new_client_id=lambda i=i: f"cam-{i}"
        )
        receipt = phone.pay_photo(pngs[chosen[i % len(chosen)]], amount_dong=10_000)
        assert receipt.status is PaymentStatus.COMPLETED
        clock.advance(0.2)
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--single", type=int, default=1000)
    parser.add_argument("--batched", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=MAX_BATCH_PAYMENTS)
    parser.add_argument("--camera", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine, clock, switch, stickers, payers = build(url, vendors=200, buyers=2000)
        backend = engine.dialect.name
        print(f"backend {backend}; 200 vendors, 2000 buyers, {len(BANKS)} banks")
        rate = one_at_a_time(switch, clock, stickers, payers, args.single)
        print(f"one at a time: {args.single} payments, {rate:,.0f} payments/s")
        rate = batched(switch, clock, stickers, payers, args.batched, args.batch_size)
        print(f"batched ({args.batch_size}/batch): {args.batched} payments, {rate:,.0f} payments/s")
        rate = with_camera(switch, clock, stickers, payers, args.camera)
        print(f"with PNG decode (pyzbar): {args.camera} payments, {rate:,.0f} payments/s")
        violations = Ledger(engine, clock=clock.now).verify()
        print(f"ledger verify: {'ok' if not violations else violations[:3]}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
