"""Security checks: webhook signatures, SQL injection on text fields, the name-inquiry limit.

(The authorization matrix is ``test_authorization_matrix.py``; secrets in logs are checked
against a live server in ``test_secrets_not_logged.py``.)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from ledger.tables import AccountRow, TransferRow
from payments.errors import WebhookRejected
from payments.ratelimit import INQUIRY_BURST
from payments.tables import districts, vendors
from payments.webhooks import WEBHOOK_TOLERANCE_S, signed_headers, verify_webhook
from tests.merchant_app.pages.site import Site, csrf_of, login
from tests.merchant_app.pages.world import World
from tests.reliability.support import record

NOW = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
SECRET = "whsec-0123456789abcdef"
TOKEN = "security-operator-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
INJECTIONS = (
    "'; DROP TABLE ledger_transfers; --",
    '" OR 1=1 --',
    "x') OR ('1'='1",
    "1; UPDATE ledger_accounts SET credits_posted = 10**9; --",
    "Robert'); DELETE FROM pay_vendors; --",
    "%' UNION SELECT token_hash FROM pay_vendors --",
)


def _event(event_id: str = "evt-1") -> bytes:
    return json.dumps({"event_id": event_id, "amount_dong": 25_000}).encode()


def test_webhook_signatures_reject_wrong_secret_replay_stale_and_tampering() -> None:
    body = _event()
    stamp = int(NOW.timestamp())
    seen: set[str] = set()
    good = signed_headers(SECRET, "evt-1", stamp, body)
    rejected = {
        "wrong secret": (signed_headers("not-the-secret", "evt-1", stamp, body), body),
        "stale": (
            signed_headers(SECRET, "evt-1", stamp - WEBHOOK_TOLERANCE_S - 1, body),
            body,
        ),
        "from the future": (
            signed_headers(SECRET, "evt-1", stamp + WEBHOOK_TOLERANCE_S + 1, body),
            body,
        ),
        "tampered body": (good, body.replace(b"25000", b"95000")),
        "other event id": (signed_headers(SECRET, "evt-2", stamp, body), body),
        "no signature": ({k: v for k, v in good.items() if "Signature" not in k}, body),
    }
    for what, (headers, sent) in rejected.items():
        with pytest.raises(WebhookRejected):
            verify_webhook(SECRET, headers, sent, NOW, seen)
        assert seen == set(), what
    assert verify_webhook(SECRET, good, body, NOW, seen) == "evt-1"
    with pytest.raises(WebhookRejected, match="already received"):
        verify_webhook(SECRET, good, body, NOW + timedelta(seconds=1), seen)


def _operator(site: Site) -> TestClient:
    site.app.state.settings.operator_token = SecretStr(TOKEN)
    return site.client()


def _counts(site: Site) -> tuple[int, ...]:
    with site.engine.connect() as connection:
        return tuple(
            int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in (AccountRow.__table__, TransferRow.__table__, vendors)
        )


def test_sql_injection_in_every_text_field_is_stored_or_refused_as_text(world: World) -> None:
    site = world.site
    client = _operator(site)
    before = _counts(site)
    tried = 0
    for n, attack in enumerate(INJECTIONS):
        district = client.post("/api/v1/directory/districts", json={"name": attack}, headers=AUTH)
        assert district.status_code == 201, district.text
        account = client.post(
            "/api/v1/ledger/accounts",
            json=[{"id": 900 + n, "code": attack, "holder": attack}],
            headers=AUTH,
        )
        assert account.json()[0]["result"] == "ok", account.text
        responses = [
            client.get(
                "/api/v1/switch/inquiry",
                params={"bank_bin": "970436", "account_number": attack[:19]},
                headers=AUTH,
            ),
            client.post("/api/v1/qr/parse", json={"payload": attack}),
            client.post(
                "/api/v1/directory/communes",
                json={"district_id": district.json()["id"], "name": attack},
                headers=AUTH,
            ),
        ]
        tried += 5
        for response in responses:
            assert response.status_code < 500, response.text
        with site.engine.connect() as connection:
            stored = connection.scalar(select(districts.c.name).where(districts.c.name == attack))
        assert stored == attack
    tried += _page_fields(world)
    accounts, transfers, vendor_count = _counts(site)
    assert (transfers, vendor_count) == before[1:]
    assert accounts == before[0] + len(INJECTIONS)
    record("sql_injection", {"attacks": len(INJECTIONS), "requests": tried})


def _page_fields(world: World) -> int:
    """Login phone/password, the vendor's history search, sale note and account number."""
    tried = 0
    for attack in INJECTIONS:
        anonymous = world.site.client()
        token = csrf_of(anonymous.get("/login").text)
        response = anonymous.post(
            "/login", data={"phone": attack, "password": attack, "csrf_token": token}
        )
        assert response.status_code in {400, 401, 422, 429}, response.status_code
        tried += 1
    vendor = world.site.client()
    login(vendor, world.vendor_a.phone)
    for attack in INJECTIONS:
        found = vendor.get("/v/history", params={"q": attack})
        # 400: longer than the search limit (the page then lists everything, unfiltered).
        assert found.status_code in {200, 400}, attack
        if found.status_code == 200:
            assert world.reference not in found.text, attack  # the injection matched nothing
        token = csrf_of(vendor.get("/v/sell").text)
        sale = vendor.post(
            "/v/requests", data={"amount": "25000", "note": attack, "csrf_token": token}
        )
        assert sale.status_code < 500, sale.text
        tried += 2
    return tried


def test_name_inquiry_rate_limit_holds_per_principal_when_caller_id_rotates(world: World) -> None:
    """Regression (F3): the limit used to be keyed on X-Caller-Id, so rotating it escaped it."""
    client = _operator(world.site)
    params = {"bank_bin": world.vendor_a.accounts[0][0], "account_number": "0011223344"}
    statuses = [
        client.get(
            "/api/v1/switch/inquiry",
            params=params,
            headers={**AUTH, "X-Caller-Id": f"bank-app-{n}"},
        ).status_code
        for n in range(INQUIRY_BURST + 5)
    ]
    assert statuses[:INQUIRY_BURST] == [200] * INQUIRY_BURST
    assert set(statuses[INQUIRY_BURST:]) == {429}
    # Another principal (a vendor linking an account) has a bucket of its own.
    vendor = world.site.client()
    login(vendor, world.vendor_b.phone)
    token = csrf_of(vendor.get("/v/accounts").text)
    linked = vendor.post(
        "/v/accounts",
        data={"csrf_token": token, "bin": params["bank_bin"], "account": "4444444444"},
    )
    assert "Ngân hàng không tìm thấy số tài khoản này." in linked.text  # inquired, not refused
    record("rate_limit", {"burst": INQUIRY_BURST, "refused_after_burst": 5, "caller_ids": 25})
