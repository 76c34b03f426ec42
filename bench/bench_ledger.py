"""Ledger benchmarks, as ratios against raw sqlite3 measured in the same run.

1. single-transfer durable commits: ``Ledger.create_transfers([t])`` per transaction vs raw
   sqlite3 doing the same INSERT + two balance UPDATEs per transaction (same schema and indexes,
   WAL, synchronous=FULL), in alternating blocks of 50 so both see the same disk.
2. batches of 1,000: one ``create_transfers`` of 1,000 vs raw executemany of the same rows and
   balance updates in one transaction, alternating batch by batch.
3. HTTP: batches of 8,000 POSTed to ``/api/v1/ledger/transfers`` on a real ``marketpay serve``
   (uvicorn) over loopback, SQLite.
4. PostgreSQL: 16 client threads at once, single-transfer calls and 100-transfer batches.
Peak RSS of this process and of the server is reported. Usage: ``python bench/bench_ledger.py``.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, event, text

from ledger import Account, Ledger, Transfer
from merchant_app.database import make_engine
from merchant_app.schema import create_all

SINGLE_N = 400
SINGLE_BLOCK = 50  # commits per alternating block of raw, then ours
BATCH_SIZE = 1_000
BATCHES = 10
HTTP_BATCH = 8_000
HTTP_BATCHES = 6
PG_THREADS = 16
PG_SINGLE_PER_THREAD = 60
PG_BATCH = 100
PG_BATCHES_PER_THREAD = 8
PG_ADMIN_URL = os.environ.get(
    "MARKETPAY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TOKEN = "bench-operator-token-000000000000000"
ACCOUNTS = 16


class StepClock:
    """A deterministic clock advancing 1 ms per reading."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, tzinfo=UTC)
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            self.now += timedelta(milliseconds=1)
            return self.now


def _accounts() -> list[Account]:
    return [Account(i, f"bench-{i}") for i in range(1, ACCOUNTS + 1)]


def _transfer(i: int) -> Transfer:
    debit = i % ACCOUNTS + 1
    credit = (i + 7) % ACCOUNTS + 1
    if credit == debit:
        credit = debit % ACCOUNTS + 1
    return Transfer(i, debit, credit, 1_000 + i % 97, reference=f"bench-{i}")


def _fresh_sqlite(directory: Path, name: str) -> tuple[str, Ledger]:
    """A new database file with the schema and the accounts, and a ledger on it. The caller
    disposes ``ledger.engine`` when done: left to the garbage collector, its last connection is
    closed (a WAL checkpoint: file I/O and fsyncs) inside whatever is being timed then."""
    url = f"sqlite:///{directory / name}"
    engine = make_engine(url)
    create_all(engine)
    ledger = Ledger(engine, clock=StepClock())
    assert set(ledger.create_accounts(_accounts())) == {"ok"}
    return str(directory / name), ledger


def _raw_sqlite(directory: Path, name: str) -> sqlite3.Connection:
    path, ledger = _fresh_sqlite(directory, name)
    ledger.engine.dispose()
    return _raw_connection(path)


def _raw_connection(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


RAW_INSERT = (
    "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount_dong, "
    "requested_amount_dong, reference, memo, flags, pending_id, timeout_s, expires_at_ns, "
    "metadata, timestamp_ns, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, '', 0, NULL, 0, NULL, "
    "'{}', ?, ?, ?)"
)
RAW_DEBIT = "UPDATE ledger_accounts SET debits_posted = debits_posted + ? WHERE id = ?"
RAW_CREDIT = "UPDATE ledger_accounts SET credits_posted = credits_posted + ? WHERE id = ?"


def _raw_row(t: Transfer) -> tuple[object, ...]:
    return (
        t.id, t.debit_account_id, t.credit_account_id, t.amount_dong, t.amount_dong,
        t.reference, 10**18 + t.id, "0" * 64, "f" * 64,
    )  # fmt: skip


def _start_clean() -> float:
    """A full garbage collection, then the start time of a timed section.

    A full (generation 2) collection walks every object of this process (~70,000 after the
    imports: 50-150 ms on the shared VM) and runs once the survivors of earlier sections pile
    up, so it landed inside raw or ours at random and swung a run's ratio by ~10 points.
    Starting each section (raw and ours alike) after one keeps that lump out of both; the young
    collections a section's own allocations cause still count."""
    gc.collect()
    return time.perf_counter()


def bench_single(directory: Path) -> dict[str, float]:
    raw = _raw_sqlite(directory, "raw-single.db")
    _, ledger = _fresh_sqlite(directory, "ours-single.db")
    raw_s = ours_s = 0.0
    # Blocks of raw and ours alternate, so both sides see the same fsync latency (on a shared
    # VM it drifts by 2x within a minute, which made a raw-then-ours ratio a coin toss).
    for block in range(0, SINGLE_N, SINGLE_BLOCK):
        ids = range(block + 1, block + SINGLE_BLOCK + 1)
        start = _start_clean()
        for i in ids:
            t = _transfer(i)
            raw.execute("BEGIN IMMEDIATE")
            raw.execute(RAW_INSERT, _raw_row(t))
            raw.execute(RAW_DEBIT, (t.amount_dong, t.debit_account_id))
            raw.execute(RAW_CREDIT, (t.amount_dong, t.credit_account_id))
            raw.execute("COMMIT")
        raw_s += time.perf_counter() - start
        start = _start_clean()
        for i in ids:
            assert ledger.create_transfers([_transfer(i)]) == ["ok"]
        ours_s += time.perf_counter() - start
    raw.close()
    ledger.engine.dispose()
    raw_rate, ours_rate = SINGLE_N / raw_s, SINGLE_N / ours_s
    return {"raw_per_s": raw_rate, "ours_per_s": ours_rate, "ratio": ours_rate / raw_rate}


def _raw_batch(raw: sqlite3.Connection, batch: list[Transfer]) -> None:
    debits: dict[int, int] = {}
    credits: dict[int, int] = {}
    for t in batch:
        debits[t.debit_account_id] = debits.get(t.debit_account_id, 0) + t.amount_dong
        credits[t.credit_account_id] = credits.get(t.credit_account_id, 0) + t.amount_dong
    raw.execute("BEGIN IMMEDIATE")
    raw.executemany(RAW_INSERT, [_raw_row(t) for t in batch])
    raw.executemany(RAW_DEBIT, [(v, k) for k, v in debits.items()])
    raw.executemany(RAW_CREDIT, [(v, k) for k, v in credits.items()])
    raw.execute("COMMIT")


def bench_batches(directory: Path) -> dict[str, float]:
    raw = _raw_sqlite(directory, "raw-batch.db")
    _, ledger = _fresh_sqlite(directory, "ours-batch.db")
    raw_s = ours_s = 0.0
    for b in range(BATCHES):  # alternating, as in bench_single
        start = _start_clean()
        _raw_batch(raw, [_transfer(b * BATCH_SIZE + i + 1) for i in range(BATCH_SIZE)])
        raw_s += time.perf_counter() - start
        start = _start_clean()
        batch = [_transfer(b * BATCH_SIZE + i + 1) for i in range(BATCH_SIZE)]
        assert set(ledger.create_transfers(batch)) == {"ok"}
        ours_s += time.perf_counter() - start
    raw.close()
    ledger.engine.dispose()
    total = BATCH_SIZE * BATCHES
    raw_rate, ours_rate = total / raw_s, total / ours_s
    return {"raw_per_s": raw_rate, "ours_per_s": ours_rate, "ratio": ours_rate / raw_rate}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def bench_http(directory: Path) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPAY_")}
    env.update(
        MARKETPAY_DATA_DIR=str(directory / "http"),
        MARKETPAY_DATABASE_URL=f"sqlite:///{directory / 'http.db'}",
        MARKETPAY_OPERATOR_TOKEN=TOKEN,
        MARKETPAY_LOG_LEVEL="warning",
    )
    cli = [sys.executable, "-m", "merchant_app"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = _free_port()
    # /usr/bin/time -v is not everywhere; the server reports its own peak RSS via /proc.
    server = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            _wait_up(client, server)
            accounts = [{"id": a.id, "code": a.code} for a in _accounts()]
            assert client.post("/api/v1/ledger/accounts", json=accounts).status_code == 200
            bodies = [
                json.dumps(
                    [
                        {
                            "id": t.id,
                            "debit_account_id": t.debit_account_id,
                            "credit_account_id": t.credit_account_id,
                            "amount": t.amount_dong,
                            "reference": t.reference,
                        }
                        for t in (_transfer(b * HTTP_BATCH + i + 1) for i in range(HTTP_BATCH))
                    ]
                )
                for b in range(HTTP_BATCHES)
            ]
            start = time.perf_counter()
            for body in bodies:
                response = client.post(
                    "/api/v1/ledger/transfers",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                assert response.status_code == 200, response.text[:200]
                assert {r["result"] for r in response.json()} == {"ok"}
            elapsed = time.perf_counter() - start
            server_peak_kib = _peak_rss_kib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {
        "transfers_per_s": HTTP_BATCH * HTTP_BATCHES / elapsed,
        "server_peak_rss_mib": server_peak_kib / 1024,
    }


def _wait_up(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("server exited")
        try:
            client.get("/healthz")
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def bench_postgres() -> dict[str, float]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"bench_ledger_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=PG_THREADS)
    try:
        create_all(engine)
        ledger = Ledger(engine, clock=StepClock())
        assert set(ledger.create_accounts(_accounts())) == {"ok"}
        commits: list[object] = []

        def count_commit(connection: object) -> None:
            commits.append(connection)

        event.listen(engine, "commit", count_commit)
        single = _run_threads(ledger, 1, PG_SINGLE_PER_THREAD, offset=0)
        single_commits = len(commits)
        batched = _run_threads(ledger, PG_BATCH, PG_BATCHES_PER_THREAD, offset=10**9)
        assert ledger.verify() == []
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    calls = PG_THREADS * PG_SINGLE_PER_THREAD
    return {
        "single_per_s": single,
        "single_calls_per_commit": calls / single_commits,
        "batch100_per_s": batched,
    }


def _run_threads(ledger: Ledger, batch_size: int, calls: int, offset: int) -> float:
    def work(thread: int) -> None:
        for call in range(calls):
            base = offset + (thread * calls + call) * batch_size
            batch = [_transfer(base + i + 1) for i in range(batch_size)]
            assert set(ledger.create_transfers(batch)) == {"ok"}

    threads = [threading.Thread(target=work, args=(n,)) for n in range(PG_THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return PG_THREADS * calls * batch_size / (time.perf_counter() - start)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        single = bench_single(directory)
        print(
            f"single durable commits: raw {single['raw_per_s']:.0f}/s, ours "
            f"{single['ours_per_s']:.0f}/s, ratio {single['ratio']:.0%} (goal >= 60%)"
        )
        batches = bench_batches(directory)
        print(
            f"batches of {BATCH_SIZE}: raw {batches['raw_per_s']:.0f}/s, ours "
            f"{batches['ours_per_s']:.0f}/s, ratio {batches['ratio']:.0%} (goal >= 50%)"
        )
        http = bench_http(directory)
        print(
            f"HTTP batches of {HTTP_BATCH} (uvicorn, loopback, SQLite): "
            f"{http['transfers_per_s']:.0f} transfers/s (goal >= 10000); "
            f"server peak RSS {http['server_peak_rss_mib']:.0f} MiB"
        )
    pg = bench_postgres()
    print(
        f"PostgreSQL, {PG_THREADS} clients: single-transfer calls {pg['single_per_s']:.0f} "
        f"transfers/s ({pg['single_calls_per_commit']:.1f} calls merged per commit); "
        f"batches of {PG_BATCH} {pg['batch100_per_s']:.0f} transfers/s "
        "(goal >= 2000)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bench process peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
