"""schemathesis against the OpenAPI schema of ``marketpay serve``, over real HTTP.

All of schemathesis' default checks, among them: no 5xx (``not_a_server_error``), every status
declared (``status_code_conformance``), responses match their declared schema and content type,
schema-violating data refused (``negative_data_rejection``) and schema-valid data accepted
(``positive_data_acceptance``; the few rules a JSON schema cannot say are listed, with their
reason, in ``schemathesis.toml``). Every generated case runs against the live server (examples,
coverage, fuzzing and stateful phases): operator routes with the operator token, vendor routes
with a registered vendor's token.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from tests.reliability.support import (
    OPERATOR_TOKEN,
    cli_env,
    operator_headers,
    record,
    run_cli,
    running_server,
    seed_for,
    size,
)

CONFIG = Path(__file__).with_name("schemathesis.toml")
# The short run takes ~3 min here; the long one (100 examples per operation) ~30 min.
RUN_TIMEOUT_S = size(900, 3600)


def _register_vendor(base_url: str) -> str:
    """A district, commune, market and vendor through the operator API; the vendor's token."""
    with httpx.Client(base_url=base_url, headers=operator_headers(), timeout=30) as client:

        def post(path: str, body: dict[str, object]) -> dict[str, object]:
            response = client.post(path, json=body)
            assert response.status_code == 201, response.text
            return dict(response.json())

        district = post("/api/v1/directory/districts", {"name": "Đại Từ"})
        commune = post(
            "/api/v1/directory/communes", {"name": "Hùng Sơn", "district_id": district["id"]}
        )
        market = post(
            "/api/v1/directory/markets",
            {
                "name": "Chợ Đại Từ",
                "commune_id": commune["id"],
                "day_rule": "lunar",
                "lunar_days": [1, 15],
            },
        )
        vendor = post(
            "/api/v1/directory/vendors",
            {
                "name": "Cô Lan",
                "market_id": market["id"],
                "phone": "0912345678",
                "category": "rau",
                "stall": "12",
            },
        )
    return str(vendor["api_token"])


def test_schemathesis_default_checks_all_pass(tmp_path: Path) -> None:
    env = cli_env(tmp_path, f"sqlite:///{tmp_path / 'marketpay.db'}")
    assert run_cli(env, "db", "upgrade").returncode == 0
    seed = seed_for("schemathesis", 3)
    examples = size(10, 100)
    report = tmp_path / "schemathesis.json"
    with running_server(env, tmp_path / "server.log") as server:
        st_env = {
            **env,
            "MARKETPAY_ST_OPERATOR_TOKEN": OPERATOR_TOKEN,
            "MARKETPAY_ST_VENDOR_TOKEN": _register_vendor(server.base_url),
        }
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "st"),
                "--config-file",
                str(CONFIG),
                "run",
                f"{server.base_url}/openapi.json",
                "-n",
                str(examples),
                "--seed",
                str(seed),
                "--report-json-path",
                str(report),
            ],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            env=st_env,
            cwd=tmp_path,  # schemathesis keeps a .schemathesis/ cache in its working directory
        )
    (tmp_path / "schemathesis.out").write_text(result.stdout + result.stderr)
    cases = json.loads(report.read_text())["test_cases"]
    assert result.returncode == 0, result.stdout[-8000:]
    assert cases["with_failures"] == 0, cases
    assert cases["errored"] == 0, cases
    assert cases["generated"] > 0
    assert "Authentication failed" not in result.stdout  # every route reached past its auth
    log = (tmp_path / "server.log").read_text()
    assert " 500 Internal Server Error" not in log
    record("schemathesis", {"seed": seed, "max_examples": examples, **cases})
