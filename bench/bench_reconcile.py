"""Reconciliation + adoption statistics over 1,000,000 payments, and DuckDB as a yardstick.

    .venv/bin/python bench/bench_reconcile.py [--payments N] [--days D] [--db sqlite|postgresql]
        [--keep DIR | --reuse DIR] [--only reconcile|stats] [--sequential]

``--keep DIR`` writes the data into DIR (the SQLite file, the CSV export, what was injected) and
keeps it; on PostgreSQL the database is kept too. ``--reuse DIR`` times a kept data set again
without rebuilding it (same ``--db``), so one half can be timed alone with ``--only``.

The month is written straight into the tables (switch records, the vendor-credit ledger legs,
credits, events, directory) rather than through the switch, so that building the data does not
dominate the run; about 0.3% of payments carry a discrepancy (missing ledger leg, duplicate or
late notification). Payments are on-us (payer and payee at the same bank), so settlement nets
are zero. Timed: the daily job ``close_days`` over every day, which runs ``reconcile_range`` and
``refresh_all`` (12 level × period summaries inside the database) at the same time on two
connections; ``--sequential`` times one after the other instead. The same rows are exported to
CSV and DuckDB computes the same 12 summaries from them; the ratio is ours / DuckDB's, measured in
the same run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, Table, insert, text

from ledger.tables import accounts as ledger_accounts
from ledger.tables import transfers as ledger_transfers
from merchant_app.database import make_engine
from merchant_app.schema import all_metadata, create_all
from payments.daily import close_days
from payments.reconciliation.job import reconcile_range
from payments.stats.refresh import local_midnight_utc
from payments.stats.report import refresh_all
from payments.tables import (
    banks,
    communes,
    credits,
    districts,
    events,
    markets,
    receiving_accounts,
    switch_messages,
    vendors,
)

FIRST_DAY = date(2026, 5, 1)
VIETNAM_OFFSET = timedelta(hours=7)  # the CSV carries local time, as the SQL buckets by it
BINS = ("970405", "970415", "970418")
CHUNK_ROWS = 20_000
VENDORS = 6000
MARKETS = 60
PAYERS = 40_000
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/marketpay_bench"
META_FILE = "bench_meta.json"  # what --keep built, for --reuse


def _bulk(engine: Engine, table: Table, rows: Sequence[dict[str, object]]) -> None:
    if not rows:
        return
    if engine.dialect.name == "postgresql":
        columns = list(rows[0])
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(
                        [
                            json.dumps(v) if isinstance(v, dict) else row[c]
                            for c, v in ((c, row[c]) for c in columns)
                        ]
                    )
            raw.commit()
        finally:
            raw.close()
        return
    with engine.begin() as connection:
        for start in range(0, len(rows), CHUNK_ROWS):
            connection.execute(insert(table), list(rows[start : start + CHUNK_ROWS]))


def _account(account_id: int, code: str, at_ns: int) -> dict[str, object]:
    return {
        "id": account_id, "code": code, "currency": "VND", "flags": 0, "holder": code,
        "metadata": {}, "debits_pending": 0, "debits_posted": 0, "credits_pending": 0,
        "credits_posted": 0, "timestamp_ns": at_ns,
    }  # fmt: skip


def _directory(engine: Engine, start: datetime) -> None:
    at_ns = int(start.timestamp() * 1e9)
    _bulk(engine, districts, [{"id": d, "name": f"Huyện {d}"} for d in range(1, 6)])
    _bulk(
        engine,
        communes,
        [{"id": c, "district_id": 1 + c % 5, "name": f"Xã {c}"} for c in range(1, 21)],
    )
    _bulk(engine, markets, [
        {"id": m, "commune_id": 1 + m % 20, "name": f"Chợ {m}", "day_rule": "interval",
         "interval_days": 1, "anchor_date": FIRST_DAY, "lunar_days": None, "stall_fee_dong": 0}
        for m in range(1, MARKETS + 1)
    ])  # fmt: skip
    accounts = [_account(10 + i, f"{BINS[i % 3]}:s", at_ns + i) for i in range(3)]
    accounts += [_account(20 + i, f"{BINS[i % 3]}:c", at_ns + 10 + i) for i in range(3)]
    accounts += [_account(1000 + v, f"{BINS[v % 3]}:v{v}", at_ns + 100 + v) for v in range(VENDORS)]
    _bulk(engine, ledger_accounts, accounts)
    _bulk(engine, banks, [
        {"bin": b, "short_name": b, "settlement_account_id": 10 + i, "cash_account_id": 20 + i,
         "created_at": start} for i, b in enumerate(BINS)
    ])  # fmt: skip
    rng = random.Random(5)
    _bulk(engine, vendors, [
        {"id": v + 1, "market_id": 1 + v % MARKETS, "name": f"V{v}", "phone": f"09{v:08d}",
         "category": "rau", "stall": str(v), "token_hash": f"{v:064d}",
         "created_at": start - timedelta(days=rng.randint(0, 40))}
        for v in range(VENDORS)
    ])  # fmt: skip
    _bulk(engine, receiving_accounts, [
        {"id": v + 1, "vendor_id": v + 1, "bank_bin": BINS[v % 3], "account_number": f"v{v}",
         "holder_name": f"V{v}", "ledger_account_id": 1000 + v, "static_payload": "x",
         "created_at": start + timedelta(days=rng.randint(-20, 25))}
        for v in range(VENDORS)
    ])  # fmt: skip


def populate(engine: Engine, payments: int, days: int, out_dir: Path) -> dict[str, int]:
    start = local_midnight_utc(FIRST_DAY)
    _directory(engine, start)
    rng = random.Random(7)
    per_day = payments // days
    injected = {"missing_in_ledger": 0, "duplicate": 0, "late": 0}
    export = (out_dir / "receipts.csv").open("w", newline="")
    writer = csv.writer(export)
    writer.writerow(["vendor_id", "market_id", "amount_dong", "local_at", "payer", "latency_ms"])
    number = 0
    for day in range(days):
        midnight = local_midnight_utc(FIRST_DAY + timedelta(days=day))
        sw, legs, cr, ev = [], [], [], []
        for _ in range(per_day):
            number += 1
            vendor = rng.randrange(VENDORS)
            bank = BINS[vendor % 3]
            at = midnight + timedelta(seconds=5 * 3600 + rng.randrange(6 * 3600))
            amount = rng.choice((5, 10, 15, 20, 25, 40, 60, 100, 200)) * 1000
            ref = f"{bank}:p{rng.randrange(PAYERS)}:c{number}"
            sw.append(
                {
                    "client_transfer_id": ref,
                    "payer_bin": bank,
                    "payer_account": ref.split(":")[1],
                    "payee_bin": bank,
                    "payee_account": f"v{vendor}",
                    "amount_dong": amount,
                    "status": "completed",
                    "reason": "",
                    "created_at": at,
                    "ledger_transfer_id": number,  # the credit leg below (even if it goes missing)
                }
            )
            fate = rng.random()
            if fate < 0.001:
                injected["missing_in_ledger"] += 1
                continue
            legs.append(
                {
                    "id": number,
                    "debit_account_id": 10 + vendor % 3,
                    "credit_account_id": 1000 + vendor,
                    "amount_dong": amount,
                    "requested_amount_dong": amount,
                    "reference": ref,
                    "memo": "",
                    "flags": 0,
                    "pending_id": None,
                    "timeout_s": 0,
                    "expires_at_ns": None,
                    "metadata": {},
                    "timestamp_ns": int(at.timestamp()) * 1_000_000_000 + number,
                    "prev_hash": "0" * 64,
                    "hash": f"{number:064d}",
                }
            )
            deliveries, delay_ms = 1, rng.choice((150, 300, 600, 1200))
            if fate < 0.002:
                deliveries = 2
                injected["duplicate"] += 1
            elif fate < 0.003:
                delay_ms = 900_000
                injected["late"] += 1
            cr.append(
                {
                    "id": number,
                    "client_transfer_id": ref,
                    "ledger_transfer_id": number,
                    "vendor_id": vendor + 1,
                    "receiving_account_id": vendor + 1,
                    "amount_dong": amount,
                    "memo": "",
                    "payer_name": "",
                    "request_id": None,
                    "match": "static",
                    "created_at": at,
                }
            )
            seen = at + timedelta(milliseconds=delay_ms)
            ev.append(
                {
                    "seq": number,
                    "event_id": f"e{number}",
                    "vendor_id": vendor + 1,
                    "credit_id": number,
                    "amount_dong": amount,
                    "announcement": "",
                    "spoken": "",
                    "created_at": at,
                    "visible_at": seen,
                    "deliveries": deliveries,
                }
            )
            writer.writerow(
                [
                    vendor + 1,
                    1 + vendor % MARKETS,
                    amount,
                    (at + VIETNAM_OFFSET).replace(tzinfo=None).isoformat(),
                    ref.split(":")[1],
                    delay_ms,
                ]
            )
        _bulk(engine, switch_messages, sw)
        _bulk(engine, ledger_transfers, legs)
        _bulk(engine, credits, cr)
        _bulk(engine, events, ev)
    export.close()
    return injected  # fmt: skip


DUCK_SQL = """
WITH r AS (
  SELECT r.*, m.commune_id, m.district_id,
         date_trunc('{period}', local_at) AS p
  FROM read_csv_auto('{receipts}') r JOIN read_csv_auto('{markets}') m USING (market_id)
), per_payer AS (
  SELECT {unit} AS unit, p, payer, count(*) AS n FROM r GROUP BY ALL
)
SELECT a.*, b.unique_payers, b.repeat_payers FROM (
  SELECT {unit} AS unit, p, count(*) AS qr_count, sum(amount_dong) AS qr_value,
         count(DISTINCT vendor_id) AS active, median(amount_dong) AS median_ticket,
         quantile_cont(latency_ms, 0.5) AS p50, quantile_cont(latency_ms, 0.95) AS p95
  FROM r GROUP BY ALL) a
JOIN (SELECT unit, p, count(*) AS unique_payers, count(*) FILTER (WHERE n >= 2) AS repeat_payers
      FROM per_payer GROUP BY ALL) b USING (unit, p)
"""


def duckdb_seconds(out_dir: Path) -> float:
    import duckdb

    with (out_dir / "markets.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["market_id", "commune_id", "district_id"])
        for m in range(1, MARKETS + 1):
            commune = 1 + m % 20
            writer.writerow([m, commune, 1 + commune % 5])
    connection = duckdb.connect()
    started = time.perf_counter()
    for period in ("day", "week", "month"):
        for unit in ("market_id", "commune_id", "district_id", "0"):
            connection.execute(
                DUCK_SQL.format(period=period, unit=unit, receipts=out_dir / "receipts.csv",
                                markets=out_dir / "markets.csv")
            ).fetchall()  # fmt: skip
    return time.perf_counter() - started


def _pg_url() -> str:
    return os.environ.get("MARKETPAY_BENCH_POSTGRES_URL", DEFAULT_PG)


def _open(kind: str, data_dir: Path) -> Engine:
    if kind == "sqlite":
        return make_engine(f"sqlite:///{data_dir / 'bench.db'}")
    return make_engine(_pg_url())


def _fresh(kind: str, tmp: Path) -> Engine:
    if kind == "sqlite":
        (tmp / "bench.db").unlink(missing_ok=True)
        return _open(kind, tmp)
    url = _pg_url()
    from sqlalchemy import create_engine

    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_engine(url)


def _build(kind: str, data_dir: Path, payments: int, days: int) -> tuple[Engine, dict[str, int]]:
    engine = _fresh(kind, data_dir)
    create_all(engine)
    started = time.perf_counter()
    injected = populate(engine, payments, days, data_dir)
    elapsed = time.perf_counter() - started
    print(f"populated {payments} payments in {elapsed:.1f} s; injected {injected}")
    with engine.begin() as connection:
        # What autovacuum would have done after a day's inserts in production.
        connection.execute(text("ANALYZE"))
    meta = {"db": kind, "payments": payments, "days": days, "injected": injected}
    (data_dir / META_FILE).write_text(json.dumps(meta))
    return engine, injected


def _reuse(kind: str, data_dir: Path, days: int) -> tuple[Engine, dict[str, int]]:
    meta = json.loads((data_dir / META_FILE).read_text())
    if meta["db"] != kind or meta["days"] != days:
        raise SystemExit(f"{data_dir} holds {meta['db']} data over {meta['days']} days")
    print(f"reusing {meta['payments']} payments from {data_dir}; injected {meta['injected']}")
    return _open(kind, data_dir), dict(meta["injected"])


def _timed(
    engine: Engine,
    data_dir: Path,
    days: int,
    injected: dict[str, int],
    only: str | None,
    sequential: bool,
) -> None:
    now = datetime(2026, 6, 30, tzinfo=UTC)
    last = FIRST_DAY + timedelta(days=days - 1)
    load_before = os.getloadavg()
    name = engine.dialect.name
    stats_s = 0.0
    if only is None and not sequential:
        # The daily job as it runs: both halves at once, one thread and connection each.
        started, cpu = time.perf_counter(), time.process_time()
        run = close_days(engine, FIRST_DAY, last, now=now, cash=None)
        total_s, total_cpu = time.perf_counter() - started, time.process_time() - cpu
        # The benchmark is also a check: exactly the injected discrepancies are found.
        assert run.reconciliation.counts() == dict(sorted(injected.items())), run
        stats_s = run.statistics_s
        print(
            f"{name}: reconcile {run.reconcile_s:.1f} s and statistics {stats_s:.1f} s side by "
            f"side ({run.summary_rows} summary rows); total {total_s:.1f} s, CPU of this process "
            f"{total_cpu:.1f} s"
        )
    else:
        reconcile_s = 0.0
        if only != "stats":
            started, cpu = time.perf_counter(), time.process_time()
            summary = reconcile_range(engine, FIRST_DAY, last, now=now)
            reconcile_s, reconcile_cpu = time.perf_counter() - started, time.process_time() - cpu
            assert summary.counts() == dict(sorted(injected.items())), summary.counts()
            print(
                f"{name}: reconcile {reconcile_s:.1f} s, CPU of this process "
                f"{reconcile_cpu:.1f} s (exceptions {summary.counts()})"
            )
        if only != "reconcile":
            started, cpu = time.perf_counter(), time.process_time()
            rows = refresh_all(engine, now=now, cash=None, first=FIRST_DAY, last=last)
            stats_s, stats_cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"{name}: statistics {stats_s:.1f} s, CPU of this process "
                f"{stats_cpu:.1f} s ({rows} summary rows)"
            )
        if only is None:
            print(f"{name}: total, one half after the other, {reconcile_s + stats_s:.1f} s")
    print("(SQLite runs in-process; PostgreSQL's work is in the server)")
    # Other engineers share the 2 cores: the load average says how much of it was theirs.
    print(f"load average (1, 5, 15 min) before the timed phases {load_before}, after "
          f"{os.getloadavg()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")  # fmt: skip
    if only != "reconcile":
        duck_s = duckdb_seconds(data_dir)
        print(
            f"duckdb on a CSV export, same 12 summaries: {duck_s:.2f} s; "
            f"ours/duckdb statistics ratio {stats_s / duck_s:.1f}"
        )


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument("--keep", type=Path, help="build the data into DIR and keep it")
    kept.add_argument("--reuse", type=Path, help="time the data kept in DIR again")
    parser.add_argument("--only", choices=("reconcile", "stats"))
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="time reconciliation, then statistics (default: both at once, as the daily job)",
    )
    args = parser.parse_args(None if argv is None else list(argv))
    with tempfile.TemporaryDirectory() as name:
        data_dir = args.reuse or args.keep or Path(name)
        data_dir.mkdir(parents=True, exist_ok=True)
        if args.reuse:
            engine, injected = _reuse(args.db, data_dir, args.days)
        else:
            engine, injected = _build(args.db, data_dir, args.payments, args.days)
        _timed(engine, data_dir, args.days, injected, args.only, args.sequential)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak_mib:.0f} MiB")
        assert len(all_metadata()) >= 5
        engine.dispose()


if __name__ == "__main__":
    main()
