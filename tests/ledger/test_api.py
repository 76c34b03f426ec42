"""``/api/v1/ledger`` over HTTP (TestClient) on both backends: the contract, operator auth, and
malformed requests answered 4xx without changing anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from merchant_app.app import create_app
from merchant_app.clock import ManualClock
from merchant_app.settings import load_settings
from tests.ledger.conftest import START

TOKEN = "operator-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ACCOUNTS = [
    {"id": 1, "code": "bank:book", "holder": "NGAN HANG"},
    {"id": 2, "code": "970405:0001", "flags": 2, "metadata": {"market": "Đại Từ"}},
]


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(data_dir=tmp_path, database_url=db_url, operator_token=TOKEN)
    app = create_app(settings)
    app.state.clock = ManualClock(START)
    with TestClient(app) as test_client:
        yield test_client


def _post(client: TestClient, path: str, body: object) -> list[dict[str, object]]:
    response = client.post(f"/api/v1/ledger/{path}", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    result: list[dict[str, object]] = response.json()
    return result


def test_accounts_transfers_balance_and_history(client: TestClient) -> None:
    assert _post(client, "accounts", ACCOUNTS) == [
        {"id": 1, "result": "ok"},
        {"id": 2, "result": "ok"},
    ]
    transfers = [
        {"id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": 50_000},
        {"id": 11, "debit_account_id": 2, "credit_account_id": 1, "amount": 80_000},
        {"id": 12, "debit_account_id": 2, "credit_account_id": 1, "amount": 20_000,
         "reference": "order-7", "memo": "rau", "flags": 2, "timeout_s": 60},
    ]  # fmt: skip
    assert _post(client, "transfers", transfers) == [
        {"id": 10, "result": "ok"},
        {"id": 11, "result": "exceeds_credits"},
        {"id": 12, "result": "ok"},
    ]
    account = client.get("/api/v1/ledger/accounts/2", headers=AUTH).json()
    assert {k: account[k] for k in ("id", "code", "balance")} == {
        "id": 2,
        "code": "970405:0001",
        "balance": 50_000,
    }
    assert (account["debits_pending"], account["debits_posted"]) == (20_000, 0)
    assert (account["credits_pending"], account["credits_posted"]) == (0, 50_000)
    page = client.get("/api/v1/ledger/accounts/2/transfers?limit=1", headers=AUTH).json()
    assert [t["id"] for t in page["items"]] == [10]
    rest = client.get(
        f"/api/v1/ledger/accounts/2/transfers?cursor={page['next_cursor']}", headers=AUTH
    ).json()
    assert [(t["id"], t["amount"], t["reference"]) for t in rest["items"]] == [
        (12, 20_000, "order-7")
    ]
    assert rest["next_cursor"] is None


def test_operator_token_is_required(client: TestClient) -> None:
    url = "/api/v1/ledger/accounts"
    missing = client.post(url, json=ACCOUNTS)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"] == "unauthorized"
    wrong = client.post(url, json=ACCOUNTS, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert wrong.json()["error"] == "forbidden"
    basic = client.get("/api/v1/ledger/accounts/1", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401
    # Nothing was created by the refused requests.
    assert client.get("/api/v1/ledger/accounts/1", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"id": 10},  # not a list
        [],  # empty batch
        [{"id": 10, "debit_account_id": 1, "credit_account_id": 2}],  # no amount
        [{"id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": "5"}],
        [{"id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": 1.5}],
        [{"id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": 5, "colour": 1}],
        [{"id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": 5, "flags": -1}],
    ],
)
def test_malformed_transfer_batches_are_422_and_change_nothing(
    client: TestClient, body: object
) -> None:
    _post(client, "accounts", ACCOUNTS)
    good = {"id": 9, "debit_account_id": 1, "credit_account_id": 2, "amount": 5}
    response = client.post(
        "/api/v1/ledger/transfers", json=[good, *body] if isinstance(body, list) and body else body,
        headers=AUTH,
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert client.get("/api/v1/ledger/accounts/2", headers=AUTH).json()["credits_posted"] == 0


def test_too_large_a_batch_is_refused(client: TestClient) -> None:
    _post(client, "accounts", ACCOUNTS)
    body = [
        {"id": i, "debit_account_id": 1, "credit_account_id": 2, "amount": 1}
        for i in range(1, 8002)
    ]
    response = client.post("/api/v1/ledger/transfers", json=body, headers=AUTH)
    assert response.status_code == 422
    assert client.get("/api/v1/ledger/accounts/2", headers=AUTH).json()["credits_posted"] == 0


def test_unknown_account_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/ledger/accounts/404/transfers", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert client.get("/api/v1/ledger/accounts/7", headers=AUTH).status_code == 404
