"""Load: ``scripts/reliability/loadgen.py`` in a second process against ``marketpay serve``.

Mixed traffic (scans, name inquiries, payments with duplicate ids, feed subscribers, dashboard and
statistics reads), bounded in requests and seconds. Afterwards: no 5xx and no unexpected error,
every duplicate answered with the first ``switch_ref``, every acknowledged payment stored once
(one whole ledger chain, one vendor credit), the payers' balances equal deposits minus the
acknowledged amounts, ``marketpay ledger verify`` passes and ``marketpay reconcile`` finds
nothing. On SQLite and PostgreSQL. Figures go to docs/RELIABILITY.md (long run).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from ledger.tables import TransferRow
from payments.routing import leg_ids
from payments.tables import credits
from qr import render_png
from tests.reliability.support import (
    cli_env,
    ledger_verify,
    operator_headers,
    record,
    run_cli,
    running_server,
    seed_for,
    size,
)
from tests.reliability.test_secrets_not_logged import run_cli_stdin

LOADGEN = Path(__file__).parents[2] / "scripts/reliability/loadgen.py"
VCB, BIDV = "970436", "970418"
PAYER_FUNDS_DONG = 10_000_000_000
OFFICIAL = ("0933555666", "mat-khau-quan-chu-7")
VIETNAM = timedelta(hours=7)


def _setup(base_url: str) -> dict[str, Any]:
    """Banks, three vendors with a receiving account each, four funded payers."""
    op = operator_headers()
    with httpx.Client(base_url=base_url, headers=op, timeout=30) as http:
        for bank in (VCB, BIDV):
            assert http.post(f"/api/v1/banks/{bank}").status_code == 201
        district = http.post("/api/v1/directory/districts", json={"name": "Phú Lương"}).json()
        commune = http.post(
            "/api/v1/directory/communes", json={"district_id": district["id"], "name": "Đu"}
        ).json()
        market = http.post(
            "/api/v1/directory/markets",
            json={
                "commune_id": commune["id"],
                "name": "Chợ Đu",
                "day_rule": "interval",
                "interval_days": 1,
                "anchor_date": "2026-01-01",
            },
        ).json()
        vendors = [_vendor(http, base_url, market["id"], n) for n in range(3)]
        payers = []
        for n in range(4):
            bank, number = (VCB, BIDV)[n % 2], f"77000{n:05d}"
            http.post(
                f"/api/v1/banks/{bank}/accounts",
                json={"account_number": number, "holder": f"Người mua {n}"},
            )
            http.post(
                f"/api/v1/banks/{bank}/accounts/{number}/deposits",
                json={"amount_dong": PAYER_FUNDS_DONG, "deposit_id": f"load-{n}"},
            )
            payers.append({"bank_bin": bank, "account_number": number})
    return {"vendors": vendors, "payers": payers}


def _vendor(http: httpx.Client, base_url: str, market_id: int, n: int) -> dict[str, Any]:
    bank, number = (VCB, BIDV, VCB)[n], f"55000{n:05d}"
    http.post(
        f"/api/v1/banks/{bank}/accounts", json={"account_number": number, "holder": f"Ba {n}"}
    )
    made = http.post(
        "/api/v1/directory/vendors",
        json={
            "market_id": market_id,
            "name": f"Sạp {n}",
            "phone": f"091200000{n}",
            "category": "rau",
            "stall": str(n),
        },
    ).json()
    account = httpx.post(
        f"{base_url}/api/v1/vendors/me/accounts",
        json={"bank_bin": bank, "account_number": number},
        headers={"Authorization": f"Bearer {made['api_token']}"},
    )
    assert account.status_code == 201, account.text
    return {
        "id": made["id"],
        "token": made["api_token"],
        "bank_bin": bank,
        "account_number": number,
        "payload": account.json()["static_payload"],
    }


def _check_payments(engine: Engine, acked: list[dict[str, Any]]) -> None:
    with engine.connect() as connection:
        for payment in acked:
            ids = set(
                connection.scalars(
                    select(TransferRow.id).where(TransferRow.reference == payment["switch_ref"])
                )
            )
            legs = leg_ids(payment["switch_ref"], len(ids))
            assert ids == set(legs), payment
            assert len(ids) in (2, 3), payment
            stored = connection.scalar(
                select(func.count())
                .select_from(credits)
                .where(credits.c.ledger_transfer_id == legs[-1])
            )
            assert stored == 1, payment


def test_mixed_load_then_ledger_and_reconciliation_are_clean(
    empty_db: Engine, empty_db_url: str, tmp_path: Path
) -> None:
    env = cli_env(tmp_path, empty_db_url)
    assert run_cli(env, "db", "upgrade").returncode == 0
    add = run_cli_stdin(
        env,
        OFFICIAL[1],
        "user",
        "add",
        "--role",
        "official",
        "--phone",
        OFFICIAL[0],
        "--password-stdin",
    )
    assert add.returncode == 0, add.stderr
    seed = seed_for("load", 2026)
    out = tmp_path / "load.json"
    with running_server(env, tmp_path / "server.log") as server:
        world = _setup(server.base_url)
        image = tmp_path / "sticker.png"
        image.write_bytes(render_png(world["vendors"][0]["payload"]))
        plan = {
            "base_url": server.base_url,
            "seed": seed,
            "operator_token": operator_headers()["Authorization"].removeprefix("Bearer "),
            "official_phone": OFFICIAL[0],
            "official_password": OFFICIAL[1],
            "workers": size(4, 8),
            "requests_max": size(200, 20_000),
            "duration_s_max": size(30, 120),
            "weights": [1, 2, 6, 1, 1],
            "duplicate_share": 0.2,
            "feed_subscribers": size(2, 6),
            "scan_image": str(image),
            **world,
        }
        (tmp_path / "plan.json").write_text(json.dumps(plan))
        done = subprocess.run(
            [sys.executable, str(LOADGEN), str(tmp_path / "plan.json"), str(out)],
            capture_output=True,
            text=True,
            timeout=plan["duration_s_max"] + 120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    log = (tmp_path / "server.log").read_text()
    assert " 500 Internal Server Error" not in log
    assert result["errors"] == dict.fromkeys(result["errors"], 0), result["errors"]
    assert result["duplicate_mismatches"] == 0
    acked = result.pop("acked")
    assert acked, "no payment went through"
    _check_payments(empty_db, acked)
    verify = ledger_verify(env)
    assert verify.returncode == 0, verify.stdout
    today = (datetime.now(UTC) + VIETNAM).date()
    days = [(today - timedelta(days=1)).isoformat(), today.isoformat()]
    recon = run_cli(env, "reconcile", "--from", days[0], "--to", days[1], "--json")
    assert recon.returncode == 0, recon.stdout + recon.stderr
    record(
        "load",
        {
            "backend": empty_db.dialect.name,
            "seed": seed,
            "payments_acknowledged": len(acked),
            "reconcile": json.loads(recon.stdout).get("exceptions_by_kind"),
            **result,
        },
    )
