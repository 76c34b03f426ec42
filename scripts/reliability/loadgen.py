"""Mixed-traffic load generator, run as its own process: ``python loadgen.py PLAN.json OUT.json``.

Bounded twice: at most ``plan["requests_max"]`` requests and ``plan["duration_s_max"]`` seconds.
Worker threads (one keep-alive connection each) draw a seeded mix of:

- ``scan``: a sticker photo (PNG) to ``/api/v1/qr/scan``;
- ``inquiry``: a name inquiry at the switch (a 429 from the per-caller limit is counted apart);
- ``pay``: a payment of a vendor's static code; a seeded share is sent again with the same
  ``client_transfer_id`` (a retry or a duplicate), which must return the same ``switch_ref``;
- ``dashboard``: an official's ``/dashboard`` page (logged in once per worker);
- ``stats``: ``/api/v1/stats/adoption`` with the operator token;
plus ``plan["feed_subscribers"]`` threads holding each a vendor's SSE feed open the whole run.

OUT.json holds per-kind latency percentiles (ms), counts, errors, throughput and every
acknowledged payment (client id, switch_ref, amount), for the caller to check against the ledger.
"""

from __future__ import annotations

import json
import random
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REQUEST_TIMEOUT_S = 30
KINDS = ("scan", "inquiry", "pay", "dashboard", "stats")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Run:
    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self.errors: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.limited = 0
        self.duplicates_sent = 0
        self.duplicate_mismatches = 0
        self.acked: list[dict[str, Any]] = []
        self.feed_events = 0
        self.sent = 0
        self.deadline = time.monotonic() + plan["duration_s_max"]
        self.stop = threading.Event()
        self.image = Path(plan["scan_image"]).read_bytes()

    def take_slot(self) -> bool:
        with self.lock:
            if self.sent >= self.plan["requests_max"] or time.monotonic() > self.deadline:
                return False
            self.sent += 1
            return True

    def note(self, kind: str, started: float, ok: bool) -> None:
        with self.lock:
            self.latencies[kind].append((time.perf_counter() - started) * 1000)
            if not ok:
                self.errors[kind] += 1


def worker(run: Run, index: int) -> None:
    plan = run.plan
    rng = random.Random(f"{plan['seed']}:{index}")
    auth = {"Authorization": f"Bearer {plan['operator_token']}"}
    with httpx.Client(base_url=plan["base_url"], timeout=REQUEST_TIMEOUT_S) as client:
        _login(client, plan["official_phone"], plan["official_password"])
        n = 0
        while run.take_slot():
            n += 1
            kind = rng.choices(KINDS, weights=plan["weights"])[0]
            started = time.perf_counter()
            if kind == "scan":
                response = client.post(
                    "/api/v1/qr/scan", files={"image": ("s.png", run.image, "image/png")}
                )
                run.note(kind, started, response.status_code == 200 and response.json()["payloads"])
            elif kind == "inquiry":
                _inquiry(run, client, auth, rng, started)
            elif kind == "pay":
                _pay(run, client, auth, rng, started, f"load-{plan['seed']}-{index}-{n}")
            elif kind == "dashboard":
                run.note(kind, started, client.get("/dashboard").status_code == 200)
            else:
                response = client.get("/api/v1/stats/adoption", headers=auth)
                run.note(kind, started, response.status_code == 200)


def _login(client: httpx.Client, phone: str, password: str) -> None:
    token = CSRF.search(client.get("/login").text)
    assert token is not None
    data = {"phone": phone, "password": password, "csrf_token": token.group(1)}
    response = client.post("/login", data=data)
    assert response.status_code == 303, response.status_code


def _inquiry(
    run: Run,
    client: httpx.Client,
    auth: dict[str, str],
    rng: random.Random,
    started: float,
) -> None:
    vendor = rng.choice(run.plan["vendors"])
    response = client.get(
        "/api/v1/switch/inquiry",
        params={"bank_bin": vendor["bank_bin"], "account_number": vendor["account_number"]},
        headers=auth,
    )
    # The limit is per principal (one operator token for all workers): most inquiries are 429.
    if response.status_code == 429:
        with run.lock:
            run.limited += 1
    run.note("inquiry", started, response.status_code in {200, 429})


def _pay(
    run: Run,
    client: httpx.Client,
    auth: dict[str, str],
    rng: random.Random,
    started: float,
    client_id: str,
) -> None:
    plan = run.plan
    vendor = rng.choice(plan["vendors"])
    payer = rng.choice(plan["payers"])
    body = {
        "payload": vendor["payload"],
        "payer_bin": payer["bank_bin"],
        "payer_account": payer["account_number"],
        "client_transfer_id": client_id,
        "amount_dong": rng.randrange(5_000, 200_000, 1_000),
    }
    response = client.post("/api/v1/switch/payments", json=body, headers=auth)
    ok = response.status_code == 200
    run.note("pay", started, ok)
    if not ok:
        return
    first = response.json()
    with run.lock:
        run.acked.append({"client_id": client_id, **first, "amount_dong": body["amount_dong"]})
    if rng.random() < plan["duplicate_share"]:
        again = client.post("/api/v1/switch/payments", json=body, headers=auth)
        with run.lock:
            run.duplicates_sent += 1
            same = again.status_code == 200 and again.json()["switch_ref"] == first["switch_ref"]
            run.duplicate_mismatches += 0 if same else 1


def subscriber(run: Run, vendor: dict[str, Any]) -> None:
    """Hold the vendor's SSE feed open; on each reconnect resume after the last event seen."""
    url = f"{run.plan['base_url']}/api/v1/vendors/{vendor['id']}/feed"
    last_id = "0"
    with httpx.Client(timeout=httpx.Timeout(REQUEST_TIMEOUT_S, read=5)) as client:
        while not run.stop.is_set():
            headers = {"Authorization": f"Bearer {vendor['token']}", "Last-Event-ID": last_id}
            try:
                with client.stream("GET", url, headers=headers) as response:
                    for line in response.iter_lines():
                        if line.startswith("id:"):
                            last_id = line.removeprefix("id:").strip()
                            with run.lock:
                                run.feed_events += 1
                        if run.stop.is_set():
                            return
            except httpx.ReadTimeout:
                continue


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 1)}


def main(plan_path: str, out_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text())
    run = Run(plan)
    feeds = [
        threading.Thread(target=subscriber, args=(run, plan["vendors"][i % len(plan["vendors"])]))
        for i in range(plan["feed_subscribers"])
    ]
    for thread in feeds:
        thread.start()
    began = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(run, i)) for i in range(plan["workers"])]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed_s = time.perf_counter() - began
    run.stop.set()
    for thread in feeds:
        thread.join(timeout=10)
    total = sum(len(v) for v in run.latencies.values())
    result = {
        "requests": total + run.duplicates_sent,
        "elapsed_s": round(elapsed_s, 2),
        "throughput_per_s": round((total + run.duplicates_sent) / elapsed_s, 1),
        "by_kind": {k: {"n": len(v), **percentiles(v)} for k, v in run.latencies.items()},
        "all": percentiles([x for v in run.latencies.values() for x in v]),
        "errors": run.errors,
        "inquiries_rate_limited": run.limited,
        "duplicates_sent": run.duplicates_sent,
        "duplicate_mismatches": run.duplicate_mismatches,
        "feed_subscribers": plan["feed_subscribers"],
        "feed_events_seen": run.feed_events,
        "acked": run.acked,
    }
    Path(out_path).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
