"""Regressions for the 500s schemathesis found (issue 9): each is now a 4xx in the one error shape.

- a JSON body sent as ``text/plain``: the validation handler could not serialize the bytes input;
- a commune (or market) added twice: the unique constraint surfaced as an IntegrityError;
- ``/api/v1/stats/adoption?unit_id=`` beyond 64 bits: OverflowError in the database driver;
- reconciling a day in year 235: its UTC+7 bounds overflowed the 64-bit timestamps.
"""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from payments.reconciliation.job import ReconciliationError, reconcile_range
from payments.tables import communes, markets
from tests.merchant_app.pages.site import Site

TOKEN = "issue-9-operator-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _client(site: Site) -> TestClient:
    site.app.state.settings.operator_token = SecretStr(TOKEN)
    return site.client()


def _count(site: Site, table: object) -> int:
    with site.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


def test_json_sent_as_text_plain_is_a_422_not_a_500(site: Site) -> None:
    client = _client(site)
    response = client.post(
        "/api/v1/directory/districts",
        content=b'{"name": "Dai Tu"}',
        headers={**AUTH, "content-type": "text/plain"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_request"


def test_a_commune_or_market_added_twice_is_a_409(site: Site) -> None:
    client = _client(site)
    district = client.post("/api/v1/directory/districts", json={"name": "Đại Từ"}, headers=AUTH)
    assert district.status_code == 201, district.text
    commune_body = {"district_id": district.json()["id"], "name": "Hùng Sơn"}
    first = client.post("/api/v1/directory/communes", json=commune_body, headers=AUTH)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/directory/communes", json=commune_body, headers=AUTH)
    assert again.status_code == 409, again.text
    assert "Hùng Sơn" in again.json()["message"]
    assert _count(site, communes) == 1
    market_body = {
        "commune_id": first.json()["id"],
        "name": "Chợ Đại Từ",
        "day_rule": "interval",
        "interval_days": 5,
        "anchor_date": "2026-11-01",
        "stall_fee_dong": 10_000,
    }
    made = client.post("/api/v1/directory/markets", json=market_body, headers=AUTH)
    assert made.status_code == 201, made.text
    twice = client.post("/api/v1/directory/markets", json=market_body, headers=AUTH)
    assert twice.status_code == 409, twice.text
    assert _count(site, markets) == 1


def test_a_unit_id_beyond_64_bits_is_a_422(site: Site) -> None:
    client = _client(site)
    response = client.get("/api/v1/stats/adoption", params={"unit_id": str(2**70)}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert "unit_id" in response.json()["message"]


def test_reconciling_a_day_in_year_235_is_a_400(site: Site) -> None:
    client = _client(site)
    for method, path in (
        ("POST", "/api/v1/reconciliation/run"),
        ("GET", "/api/v1/reconciliation/runs"),
    ):
        response = client.request(
            method, path, params={"from": "0235-08-30", "to": "0235-08-30"}, headers=AUTH
        )
        assert response.status_code == 400, response.text
        assert "0235-08-30" in response.json()["message"]
    response = client.get("/api/v1/reconciliation/runs/0235-08-30", headers=AUTH)
    assert response.status_code == 400, response.text


def test_the_reconciliation_job_refuses_a_day_in_year_235(site: Site) -> None:
    """The same bound in the job, so ``marketpay reconcile --date 0235-08-30`` is one line."""
    day = date(235, 8, 30)
    with pytest.raises(ReconciliationError, match="0235-08-30"):
        reconcile_range(site.engine, day, day, now=site.clock.now())
