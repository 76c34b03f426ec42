"""The payments API: vendors see only their own things; switch operations need the operator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from merchant_app.app import create_app
from merchant_app.settings import load_settings
from payments.clock import ManualClock
from tests.payments.world import AGRIBANK, START, VIETCOMBANK


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(load_settings(data_dir=tmp_path / "data", database_url=db_url))
    app.state.clock = ManualClock(START)
    with TestClient(app) as test_client:
        yield test_client


def _op(client: TestClient) -> dict[str, str]:
    token = client.app.state.settings.operator_token.get_secret_value()  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}"}


def _vendor(client: TestClient, phone: str, account: str) -> tuple[int, dict[str, str], int]:
    op = _op(client)
    client.post(f"/api/v1/banks/{AGRIBANK}", headers=op)
    district = client.post("/api/v1/directory/districts", json={"name": f"D{phone}"}, headers=op)
    commune = client.post(
        "/api/v1/directory/communes",
        json={"name": "C", "district_id": district.json()["id"]},
        headers=op,
    )
    market = client.post(
        "/api/v1/directory/markets",
        json={
            "name": "M",
            "commune_id": commune.json()["id"],
            "day_rule": "interval",
            "interval_days": 5,
            "anchor_date": "2026-05-04",
        },
        headers=op,
    )
    body = {"market_id": market.json()["id"], "name": "Hoa", "phone": phone}
    registered = client.post(
        "/api/v1/directory/vendors", json={**body, "category": "rau", "stall": "A1"}, headers=op
    ).json()
    client.post(
        f"/api/v1/banks/{AGRIBANK}/accounts",
        json={"account_number": account, "holder": "Hoa"},
        headers=op,
    )
    me = {"Authorization": f"Bearer {registered['api_token']}"}
    added = client.post(
        "/api/v1/vendors/me/accounts",
        json={"bank_bin": AGRIBANK, "account_number": account},
        headers=me,
    )
    assert added.status_code == 201, added.text
    return registered["id"], me, added.json()["id"]


def test_vendor_routes_need_a_valid_vendor_token(client: TestClient) -> None:
    missing = client.get("/api/v1/vendors/me")
    assert missing.status_code == 401
    assert missing.json()["error"] == "unauthorized"
    wrong = client.get("/api/v1/vendors/me", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403


def test_a_vendor_sees_only_its_own_requests_accounts_and_feed(client: TestClient) -> None:
    hoa_id, hoa, hoa_account = _vendor(client, "0911111111", "111")
    _mai_id, mai, mai_account = _vendor(client, "0922222222", "222")
    created = client.post(
        "/api/v1/vendors/me/requests",
        json={"receiving_account_id": hoa_account, "amount_dong": 20_000},
        headers=hoa,
    )
    assert created.status_code == 201
    request_id = created.json()["id"]
    assert client.get(f"/api/v1/vendors/me/requests/{request_id}", headers=hoa).status_code == 200
    other = client.get(f"/api/v1/vendors/me/requests/{request_id}", headers=mai)
    assert other.status_code == 404
    assert other.json()["error"] == "not_found"
    steal = client.post(
        "/api/v1/vendors/me/requests",
        json={"receiving_account_id": hoa_account, "amount_dong": 20_000},
        headers=mai,
    )
    assert steal.status_code == 404
    mine = client.get("/api/v1/vendors/me/accounts", headers=mai).json()
    assert [a["id"] for a in mine] == [mai_account]
    assert client.get(f"/api/v1/vendors/{hoa_id}/feed", headers=mai).status_code == 403


def test_switch_and_directory_need_the_operator_token(client: TestClient) -> None:
    _id, vendor, _account = _vendor(client, "0933333333", "333")
    assert client.get("/api/v1/directory").status_code == 401
    assert client.get("/api/v1/directory", headers=vendor).status_code == 403
    assert client.post(f"/api/v1/banks/{VIETCOMBANK}", headers=vendor).status_code == 403
    assert client.get("/api/v1/directory", headers=_op(client)).status_code == 200


def test_api_errors_have_one_shape_and_name_the_problem(client: TestClient) -> None:
    _id, vendor, account = _vendor(client, "0944444444", "444")
    zero = client.post(
        "/api/v1/vendors/me/requests",
        json={"receiving_account_id": account, "amount_dong": 0},
        headers=vendor,
    )
    assert zero.status_code == 422  # the schema says amount_dong >= 1 (F2)
    assert zero.json()["error"] == "invalid_request"
    assert zero.json()["message"].startswith("amount_dong: ")
    fractional = client.post(
        "/api/v1/vendors/me/requests",
        json={"receiving_account_id": account, "amount_dong": 1.5},
        headers=vendor,
    )
    assert fractional.status_code == 422
    payload = client.get("/api/v1/vendors/me/accounts", headers=vendor).json()[0]["static_payload"]
    client.post(f"/api/v1/banks/{VIETCOMBANK}", headers=_op(client))
    pay = client.post(
        "/api/v1/switch/payments",
        json={
            "payload": payload,
            "payer_bin": VIETCOMBANK,
            "payer_account": "000",
            "client_transfer_id": "x-1",
        },
        headers=_op(client),
    )
    assert pay.status_code == 400
    assert pay.json() == {
        "error": "amount_required",
        "message": "this is a sticker (static) code: enter the amount to pay",
    }
    inquiry = client.get(
        "/api/v1/switch/inquiry",
        params={"bank_bin": "970499", "account_number": "1"},
        headers=_op(client),
    )
    assert inquiry.status_code == 404
    assert inquiry.json()["error"] == "unknown_bank"


def test_feed_streams_in_order_and_resumes_after_last_event_id(client: TestClient) -> None:
    vendor_id, vendor, _account = _vendor(client, "0955555555", "555")
    op = _op(client)
    client.post(f"/api/v1/banks/{VIETCOMBANK}", headers=op)
    client.post(
        f"/api/v1/banks/{VIETCOMBANK}/accounts",
        json={"account_number": "777", "holder": "Bình"},
        headers=op,
    )
    client.post(
        f"/api/v1/banks/{VIETCOMBANK}/accounts/777/deposits",
        json={"amount_dong": 100_000, "deposit_id": "d-777"},
        headers=op,
    )
    sticker = client.get("/api/v1/vendors/me/accounts", headers=vendor).json()[0]
    for number, amount in enumerate((12_000, 3_000, 8_000)):
        paid = client.post(
            "/api/v1/switch/payments",
            json={
                "payload": sticker["static_payload"],
                "payer_bin": VIETCOMBANK,
                "payer_account": "777",
                "client_transfer_id": f"feed-{number}",
                "amount_dong": amount,
            },
            headers=op,
        )
        assert paid.status_code == 200, paid.text

    def read(last_event_id: int, count: int) -> list[tuple[int, int]]:
        headers = {**vendor, "Last-Event-ID": str(last_event_id)}
        with client.stream(
            "GET",
            f"/api/v1/vendors/{vendor_id}/feed",
            params={"max_events": count},
            headers=headers,
        ) as response:
            lines = [line for line in response.iter_lines() if line.startswith(("id:", "data:"))]
        ids = [int(line[3:]) for line in lines if line.startswith("id:")]
        amounts = [
            json.loads(line[5:])["amount_dong"] for line in lines if line.startswith("data:")
        ]
        return list(zip(ids, amounts, strict=True))

    everything = read(0, 3)
    assert [amount for _seq, amount in everything] == [12_000, 3_000, 8_000]
    assert read(everything[0][0], 2) == everything[1:]
