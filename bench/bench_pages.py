"""Latency of the main pages and the payment API under concurrent load from a second process.

Starts the real ``marketpay serve`` on loopback (SQLite in a temporary data dir), seeds a market
with a vendor (two banks), a buyer with money and an official, logs in through the pages, then
runs ``bench/loadgen.py`` as a separate process: WORKERS threads, each with its own keep-alive
connection, cycling through the requests below. Prints p50/p95/p99 per request in Markdown.

    .venv/bin/python bench/bench_pages.py [--workers 8] [--requests 400]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from merchant_app.database import make_engine  # noqa: E402
from payments.tables import receiving_accounts  # noqa: E402
from tests.live_server import live_server  # noqa: E402
from tests.merchant_app.browser.test_acceptance_flow import (  # noqa: E402
    BUYER,
    PASSWORD,
    VENDOR,
    VENDOR_ACCOUNTS,
    add_official,
    seed,
)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HIDDEN = re.compile(r'name="(payload|client_transfer_id)" value="([^"]+)"')
TIMEOUT_S = 30
PAGE_PAYMENTS = 15  # below payments.ratelimit.INQUIRY_BURST (20) for one address


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match is not None
    return match.group(1)


def _login(client: httpx.Client, phone: str) -> str:
    token = _csrf(client.get("/login").text)
    response = client.post(
        "/login", data={"phone": phone, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return _csrf(client.get("/").text)


def _signup_vendor(base_url: str, market_id: int) -> tuple[dict[str, str], str, int]:
    client = httpx.Client(base_url=base_url, timeout=TIMEOUT_S)
    token = _csrf(client.get("/signup").text)
    client.post(
        "/signup",
        data={
            "name": VENDOR["name"],
            "phone": VENDOR["phone"],
            "market_id": str(market_id),
            "stall": "1",
            "category": "rau",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    for bank_bin, number in VENDOR_ACCOUNTS:
        token = _csrf(client.get("/v/accounts").text)
        client.post("/v/accounts", data={"bin": bank_bin, "account": number, "csrf_token": token})
    token = _csrf(client.get("/v/sell").text)
    account_id = re.search(
        r'name="account_id">\s*<option value="(\d+)"', client.get("/v/sell").text
    )
    assert account_id is not None
    created = client.post(
        "/v/requests",
        data={"amount": "25000", "account_id": account_id.group(1), "csrf_token": token},
    )
    request_id = int(created.headers["location"].rsplit("/", 1)[1])
    return dict(client.cookies), token, request_id


def _static_payload() -> str:
    """The sticker payload of the vendor's first account (what a buyer's photo would give)."""
    engine = make_engine(f"sqlite:///{DATA_DIR / 'marketpay.db'}")
    with engine.connect() as connection:
        payload = connection.execute(select(receiving_accounts.c.static_payload)).scalars().first()
    engine.dispose()
    assert payload is not None
    return str(payload)


def _plan(base_url: str, market_id: int, workers: int, per_worker: int) -> list[dict[str, Any]]:
    vendor_cookies, _vendor_token, request_id = _signup_vendor(base_url, market_id)
    official = httpx.Client(base_url=base_url, timeout=TIMEOUT_S)
    _login(official, "0912000001")
    buyer = httpx.Client(base_url=base_url, timeout=TIMEOUT_S)
    buyer_token = _csrf(buyer.get("/pay").text)
    payload = _static_payload()
    common = {"base_url": base_url, "workers": workers, "requests_per_worker": per_worker}
    return [
        {
            **common,
            "name": "vendor",
            "cookies": vendor_cookies,
            "requests": _vendor_requests(request_id),
        },
        {
            **common,
            "name": "official",
            "cookies": dict(official.cookies),
            "requests": _official_requests(market_id),
        },
        {
            **common,
            "name": "buyer",
            "cookies": dict(buyer.cookies),
            "requests": [{"name": "GET /pay", "method": "GET", "path": "/pay"}],
        },
        {**common, "name": "payment API", "requests": [_api_payment(payload)]},
        # The page's confirm asks the switch for the payee's name first; the switch allows one
        # caller (here one address) a burst of INQUIRY_BURST inquiries, so this stays under it.
        {
            **common,
            "workers": 1,
            "requests_per_worker": PAGE_PAYMENTS,
            "name": "buyer page",
            "cookies": dict(buyer.cookies),
            "requests": [_page_payment(payload, buyer_token)],
        },
    ]


def _vendor_requests(request_id: int) -> list[dict[str, Any]]:
    return [
        {"name": "GET /v (takings)", "method": "GET", "path": "/v"},
        {"name": "GET /v/history", "method": "GET", "path": "/v/history?q="},
        {
            "name": "GET /v/requests/{id}/status",
            "method": "GET",
            "path": f"/v/requests/{request_id}/status",
        },
    ]


def _official_requests(market_id: int) -> list[dict[str, Any]]:
    return [
        {"name": "GET /dashboard", "method": "GET", "path": "/dashboard"},
        {
            "name": f"GET /dashboard?market={market_id}",
            "method": "GET",
            "path": f"/dashboard?market={market_id}",
        },
    ]


def _api_payment(payload: str) -> dict[str, Any]:
    operator = (DATA_DIR / "operator_token.txt").read_text().strip()
    body = {
        "payload": payload,
        "payer_bin": BUYER[0],
        "payer_account": BUYER[1],
        "client_transfer_id": "api-bench-{unique}",
        "amount_dong": 1000,
    }
    return {
        "name": "POST /api/v1/switch/payments (1.000 đ)",
        "method": "POST",
        "path": "/api/v1/switch/payments",
        "json": body,
        "headers": {"Authorization": f"Bearer {operator}"},
    }


def _page_payment(payload: str, csrf_token: str) -> dict[str, Any]:
    form = {
        "payload": payload,
        "client_transfer_id": "web-bench-{unique}",
        "csrf_token": csrf_token,
        "amount": "1000",
        "from_bin": BUYER[0],
        "from_account": BUYER[1],
    }
    return {
        "name": "POST /pay/confirm (1.000 đ)",
        "method": "POST",
        "path": "/pay/confirm",
        "form": form,
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--requests", type=int, default=100, help="per worker, per user kind")
    args = parser.parse_args()
    with live_server(DATA_DIR) as base_url:
        market_id = seed(DATA_DIR)
        add_official(DATA_DIR)
        plans = _plan(base_url, market_id, args.workers, args.requests)
        print("| user | request | n | errors | p50 ms | p95 ms | p99 ms | req/s |")
        print("|---|---|---|---|---|---|---|---|")
        for plan in plans:
            path = DATA_DIR / f"plan-{plan['name']}.json"
            path.write_text(json.dumps(plan))
            out = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "loadgen.py"), str(path)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            result = json.loads(out)
            total = sum(len(v) for v in result["latencies_ms"].values())
            rate = total / result["wall_s"]
            for name, values in result["latencies_ms"].items():
                print(
                    f"| {plan['name']} | {name} | {len(values)} | {result['errors'][name]} | "
                    f"{statistics.median(values):.1f} | {_percentile(values, 0.95):.1f} | "
                    f"{_percentile(values, 0.99):.1f} | {rate:.0f} (all of {plan['name']}) |"
                )


DATA_DIR = Path(tempfile.mkdtemp(prefix="marketpay-bench-pages-"))

if __name__ == "__main__":
    main()
