"""SIGKILL ``marketpay serve`` during a burst of ledger transfers over HTTP, many times.

A client thread posts batches of linked pairs (``a -> b`` LINKED with ``b -> c``) as fast as the
server answers; the test kills the server at a seeded random moment, then, with the server dead,
checks the database: ``marketpay ledger verify`` passes, every transfer whose batch was
acknowledged is stored exactly once, and of the batch in flight each linked pair is stored whole
or not at all. The server is restarted, the client retries the unacknowledged batch with the same
ids (every result ``ok``, ``exists`` or ``linked_event_failed``), and it goes on. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from tests.reliability.support import (
    Server,
    cli_env,
    ledger_verify,
    operator_headers,
    record,
    run_cli,
    seed_for,
    size,
    start_server,
    transfer_counts,
)

ACCOUNT_IDS = (101, 102, 103, 104)
PAIRS_PER_BATCH = 10
KILL_DELAY_S_MIN = 0.05
KILL_DELAY_S_MAX = 0.6
REQUEST_TIMEOUT_S = 20
LINKED = 1
RETRY_RESULTS = {"ok", "exists", "linked_event_failed"}


@dataclass
class Client:
    """Posts batches until the server goes away; remembers what it saw acknowledged."""

    base_url: str
    rng: random.Random
    next_id: int = 1
    acked: list[int] = field(default_factory=list)
    in_flight: list[dict[str, Any]] = field(default_factory=list)

    def batch(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for _ in range(PAIRS_PER_BATCH):
            a, b, c = self.rng.sample(ACCOUNT_IDS, 3)
            amount = self.rng.randint(1_000, 500_000)
            for debit, credit, flags in ((a, b, LINKED), (b, c, 0)):
                tid = self.next_id
                self.next_id += 1
                items.append(_transfer(tid, debit, credit, amount, flags))
        return items

    def run(self) -> None:
        with httpx.Client(
            base_url=self.base_url, headers=operator_headers(), timeout=REQUEST_TIMEOUT_S
        ) as http:
            while True:
                self.in_flight = self.batch()
                try:
                    response = http.post("/api/v1/ledger/transfers", json=self.in_flight)
                except httpx.TransportError:
                    return
                assert response.status_code == 200, response.text
                assert {r["result"] for r in response.json()} == {"ok"}, response.text
                self.acked.extend(item["id"] for item in self.in_flight)
                self.in_flight = []


def _transfer(tid: int, debit: int, credit: int, amount: int, flags: int) -> dict[str, Any]:
    return {
        "id": tid,
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": amount,
        "reference": f"t{tid}",
        "flags": flags,
    }


def _open_accounts(server: Server) -> None:
    accounts = [{"id": i, "code": f"acct-{i}", "holder": f"holder {i}"} for i in ACCOUNT_IDS]
    response = httpx.post(
        f"{server.base_url}/api/v1/ledger/accounts", json=accounts, headers=operator_headers()
    )
    assert response.status_code == 200, response.text


def _check_dead_database(engine: Engine, env: dict[str, str], client: Client) -> int:
    verify = ledger_verify(env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["ok"] is True
    counts = transfer_counts(engine, [*client.acked, *(t["id"] for t in client.in_flight)])
    lost = [tid for tid in client.acked if counts[tid] != 1]
    assert not lost, f"acknowledged transfers not stored exactly once: {lost[:10]}"
    for first, second in zip(client.in_flight[::2], client.in_flight[1::2], strict=True):
        pair = (counts[first["id"]], counts[second["id"]])
        assert pair in {(0, 0), (1, 1)}, f"linked pair half-applied: {first['id']}: {pair}"
    return sum(counts[t["id"]] for t in client.in_flight)


def _retry(server: Server, client: Client) -> None:
    if not client.in_flight:
        return
    response = httpx.post(
        f"{server.base_url}/api/v1/ledger/transfers",
        json=client.in_flight,
        headers=operator_headers(),
        timeout=REQUEST_TIMEOUT_S,
    )
    assert response.status_code == 200, response.text
    # A stored linked chain answers like TigerBeetle: its first event ``exists``, the rest
    # ``linked_event_failed``; nothing is applied twice (counted afterwards).
    assert {r["result"] for r in response.json()} <= RETRY_RESULTS, response.text
    client.acked.extend(item["id"] for item in client.in_flight)
    client.in_flight = []


def test_sigkill_during_http_transfers(empty_db: Engine, empty_db_url: str, tmp_path: Path) -> None:
    backend = empty_db.dialect.name
    seed = seed_for("crash-http", 9_001)
    rng = random.Random(f"{seed}:{backend}")
    kills = size(2, 20)
    env = cli_env(tmp_path, empty_db_url)
    assert run_cli(env, "db", "upgrade").returncode == 0
    log = tmp_path / "server.log"
    servers = [start_server(env, log)]
    _open_accounts(servers[-1])
    client = Client(servers[-1].base_url, random.Random(seed))
    in_flight_committed = 0
    try:
        for _ in range(kills):
            client.base_url = servers[-1].base_url
            worker = threading.Thread(target=client.run)
            worker.start()
            threading.Event().wait(rng.uniform(KILL_DELAY_S_MIN, KILL_DELAY_S_MAX))
            servers[-1].kill()
            worker.join(timeout=60)
            assert not worker.is_alive()
            in_flight_committed += 1 if _check_dead_database(empty_db, env, client) else 0
            servers.append(start_server(env, log))
            _retry(servers[-1], client)
    finally:
        servers[-1].stop()
    counts = transfer_counts(empty_db, client.acked)
    assert all(count == 1 for count in counts.values())
    assert ledger_verify(env).returncode == 0
    record(
        "crash_http",
        {
            "backend": backend,
            "seed": seed,
            "kills": kills,
            "transfers_checked": len(client.acked),
            "in_flight_batches_found_committed": in_flight_committed,
            "lost": 0,
            "duplicated": 0,
        },
    )
