"""Simulated QR payments per second in fast mode, and peak memory, end to end through the ledger.

The bundled thai-nguyen scenario made QR-heavy ("throughput" variant: every buyer has a phone,
an account and no cash preference, full connectivity, every vendor adopts on the first day), so
the measured figure is the payment path, not the cash bookkeeping. Faults stay at the scenario's
rates, so retries and fault logging are included. Reported: setup time, payments/s over the
day loop, and peak RSS (with the time) when 100,000, 500,000 and 1,000,000 payments are done
and at the end: memory is flat when the later marks stay near the first.

    .venv/bin/python bench/bench_simulation.py --payments 100000             # SQLite temp file
    .venv/bin/python bench/bench_simulation.py --payments 30000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_simulation.py --payments 1000000            # the 1M goal
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger import Ledger
from merchant_app.database import make_engine
from merchant_app.schema import create_all
from payments.clock import SystemClock
from payments.simulation.calibration import with_values
from payments.simulation.engine import Progress, Simulation
from payments.simulation.payflow import MAX_SLOT_MINUTES
from payments.simulation.scenario import Scenario, load_scenario
from payments.simulation.world import WorldModel

MEMORY_MARKS_PAYMENTS = (100_000, 500_000, 1_000_000)


def throughput_variant(scenario: Scenario) -> Scenario:
    values: dict[str, float] = {}
    for d_key, district in scenario.districts.items():
        for c_key, commune in district.communes.items():
            for m_key in commune.markets:
                base = f"districts.{d_key}.communes.{c_key}.markets.{m_key}"
                for field in ("smartphone_share", "bank_account_share", "connectivity"):
                    values[f"{base}.{field}"] = 1.0
                values[f"{base}.cash_preference"] = 0.0
    for index in range(len(scenario.campaigns)):
        values[f"campaigns.{index}.p_boost_per_day"] = 0.0
    variant = with_values(scenario, values)
    # One campaign day per market at the start: every vendor adopts on day 0.
    table = variant.model_dump(mode="python")
    table["campaigns"] = [
        {"market": key, "start": variant.start, "days": 1, "p_boost_per_day": 1.0}
        for key, _m in variant.markets()
    ]
    return Scenario.model_validate(table)


def purchases_per_day(scenario: Scenario, days: int) -> float:
    model = WorldModel(scenario, scale=1.0)
    total = 0
    for offset in range(days):
        total += sum(len(m.sales) for m in model.day(scenario.start + timedelta(days=offset)))
    return total / days


def fresh_engine(url: str | None, folder: Path):  # type: ignore[no-untyped-def]
    if url is None:
        return make_engine(f"sqlite:///{folder / 'bench.db'}")
    admin_url = make_url(url)
    name = f"bench_sim_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_engine(admin_url.set(database=name).render_as_string(hide_password=False))


def drop_database(url: str | None, name: str | None) -> None:
    if url is None or name is None:
        return  # SQLite: the temporary directory goes away
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    scenario = throughput_variant(load_scenario("thai-nguyen"))
    per_day = purchases_per_day(scenario, 2)
    scale = round(args.payments / (per_day * args.days), 3)
    with tempfile.TemporaryDirectory() as folder:
        engine = fresh_engine(args.database_url, Path(folder))
        create_all(engine)
        simulation = Simulation(
            engine, scenario, days=args.days, scale=scale, slot_minutes=MAX_SLOT_MINUTES
        )
        marks: dict[str, float] = {}
        began = time.monotonic()

        def tick(progress: Progress) -> None:
            for mark in MEMORY_MARKS_PAYMENTS:
                if progress.qr_payments >= mark and f"rss_{mark}" not in marks:
                    marks[f"rss_{mark}"] = peak_rss_mib()
                    marks[f"at_{mark}_s"] = time.monotonic() - began
            print(
                f"day {progress.day}/{progress.days}: {progress.qr_payments} QR payments, "
                f"{time.monotonic() - began:.0f} s",
                flush=True,
            )

        original = simulation.world.day

        def timed_day(day):  # type: ignore[no-untyped-def]
            marks.setdefault("first_day", time.monotonic())
            return original(day)

        simulation.world.day = timed_day  # type: ignore[method-assign]
        report = simulation.run(tick)
        ended = time.monotonic()
        ended_cpu = resource.getrusage(resource.RUSAGE_SELF)
        violations = Ledger(engine, clock=SystemClock().now).verify()
        verify_s = time.monotonic() - ended
        engine.dispose()
        drop_database(args.database_url, engine.url.database)
    setup_s = marks["first_day"] - began
    loop_s = ended - marks["first_day"]
    rss_end = peak_rss_mib()
    print(
        f"backend: {'SQLite' if args.database_url is None else 'PostgreSQL'}; scale {scale}; "
        f"markets {report['markets']}; vendors {report['vendors']}; days {args.days}"
    )
    print(
        f"QR payments: {report['qr_payments']} (failed {report['qr_failed']}, retries "
        f"{report['qr_retries']}, faults {report['faults_injected']}), cash sales "
        f"{report['cash_sales']}"
    )
    print(
        f"setup: {setup_s:.1f} s; day loop: {loop_s:.1f} s = "
        f"{report['qr_payments'] / loop_s:.0f} QR payments/s; end to end "
        f"{ended - began:.1f} s; CPU time of this process {cpu_s(ended_cpu):.1f} s (on a shared "
        "machine the CPU time moves less with other people's load than the wall time)"
    )
    for mark in MEMORY_MARKS_PAYMENTS:
        if f"rss_{mark}" in marks:
            print(
                f"peak RSS at {mark:,} payments: {marks[f'rss_{mark}']:.0f} MiB "
                f"(reached at {marks[f'at_{mark}_s']:.0f} s)"
            )
    print(
        f"peak RSS at the end: {rss_end:.0f} MiB; ledger verify: "
        f"{'ok' if not violations else violations[:3]} ({verify_s:.1f} s)"
    )


if __name__ == "__main__":
    main()
