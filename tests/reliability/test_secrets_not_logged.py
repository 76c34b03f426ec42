"""Secrets never reach the logs: a live server at debug level, a session of logins (right and
wrong passwords), operator-token and vendor-token calls and a settings dump; then the captured
server output and CLI output are searched for the operator token, the secret key, the passwords
and the vendor token.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from subprocess import CompletedProcess

import httpx

from tests.reliability.support import (
    CLI,
    CLI_TIMEOUT_S,
    OPERATOR_TOKEN,
    SECRET_KEY,
    cli_env,
    operator_headers,
    record,
    run_cli,
    running_server,
)

OFFICIAL_PHONE = "0933111222"
OFFICIAL_PASSWORD = "mat-khau-rat-bi-mat-42"
WRONG_PASSWORD = "sai-mat-khau-bi-mat-99"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _login(base_url: str, password: str) -> int:
    with httpx.Client(base_url=base_url) as client:
        token = CSRF.search(client.get("/login").text)
        assert token is not None
        response = client.post(
            "/login",
            data={"phone": OFFICIAL_PHONE, "password": password, "csrf_token": token.group(1)},
        )
        if response.status_code == 303:
            assert client.get("/dashboard").status_code == 200
        return response.status_code


def test_no_secret_appears_in_server_or_cli_output(tmp_path: Path) -> None:
    env = cli_env(tmp_path, f"sqlite:///{tmp_path / 'marketpay.db'}")
    env["MARKETPAY_LOG_LEVEL"] = "debug"
    outputs = [run_cli(env, "db", "upgrade")]
    add = run_cli_stdin(
        env,
        OFFICIAL_PASSWORD,
        "user",
        "add",
        "--role",
        "official",
        "--phone",
        OFFICIAL_PHONE,
        "--password-stdin",
    )
    assert add.returncode == 0, add.stderr
    outputs += [add, run_cli(env, "settings", "--json")]
    log = tmp_path / "server.log"
    with running_server(env, log) as server:
        district = httpx.post(
            f"{server.base_url}/api/v1/directory/districts",
            json={"name": "Võ Nhai"},
            headers=operator_headers(),
        )
        assert district.status_code == 201
        vendor_token = _register_vendor(server.base_url, district.json()["id"])
        me = httpx.get(
            f"{server.base_url}/api/v1/vendors/me",
            headers={"Authorization": f"Bearer {vendor_token}"},
        )
        assert me.status_code == 200
        assert _login(server.base_url, WRONG_PASSWORD) == 401
        assert _login(server.base_url, OFFICIAL_PASSWORD) == 303
        bad = httpx.get(
            f"{server.base_url}/api/v1/ledger/accounts/1",
            headers={"Authorization": f"Bearer {OPERATOR_TOKEN}x"},
        )
        assert bad.status_code == 403
    text = log.read_text() + "".join(o.stdout + o.stderr for o in outputs)
    assert "GET /dashboard" in text  # the log did capture the session
    secrets = [OPERATOR_TOKEN, SECRET_KEY, OFFICIAL_PASSWORD, WRONG_PASSWORD, vendor_token]
    leaked = [s[:6] + "..." for s in secrets if s in text]
    assert leaked == []
    record("secrets_in_logs", {"secrets_checked": len(secrets), "log_bytes": len(text)})


def _register_vendor(base_url: str, district_id: int) -> str:
    headers = operator_headers()
    commune = httpx.post(
        f"{base_url}/api/v1/directory/communes",
        json={"district_id": district_id, "name": "La Hiên"},
        headers=headers,
    )
    market = httpx.post(
        f"{base_url}/api/v1/directory/markets",
        json={
            "commune_id": commune.json()["id"],
            "name": "Chợ La Hiên",
            "day_rule": "interval",
            "interval_days": 5,
            "anchor_date": "2026-11-01",
            "stall_fee_dong": 10_000,
        },
        headers=headers,
    )
    vendor = httpx.post(
        f"{base_url}/api/v1/directory/vendors",
        json={
            "market_id": market.json()["id"],
            "name": "Cô Hoa",
            "phone": "0912999888",
            "category": "rau",
            "stall": "3",
        },
        headers=headers,
    )
    assert vendor.status_code == 201, vendor.text
    return str(vendor.json()["api_token"])


def run_cli_stdin(env: dict[str, str], stdin: str, *args: str) -> CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=env,
        input=stdin + "\n",
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
