"""Who may open what: every vendor route is tried as anonymous, official, and another vendor.

Failures are 401 (not logged in) or 403 (logged in, not allowed) with an HTML page that carries
none of the owner's data.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from merchant_app.users import Role
from tests.merchant_app.pages.site import csrf_of, login
from tests.merchant_app.pages.world import World

VENDOR_GETS = [
    "/v",
    "/v/accounts",
    "/v/accounts/{account_id}/sticker.pdf",
    "/v/stickers.pdf",
    "/v/sell",
    "/v/requests",
    "/v/requests/{request_id}",
    "/v/requests/{request_id}/qr.png",
    "/v/requests/{request_id}/status",
    "/v/feed",
    "/v/feed/stream",
    "/v/history",
]
VENDOR_POSTS = ["/v/accounts", "/v/requests"]
OFFICIAL_GETS = ["/dashboard", "/dashboard/export?format=csv"]
PUBLIC_GETS = ["/", "/login", "/signup", "/pay"]


def _fill(path: str, world: World) -> str:
    return path.format(account_id=world.vendor_a.account_ids[0], request_id=world.request_id)


def _leaks(world: World, text: str) -> list[str]:
    secrets = [
        world.vendor_a.name,
        world.vendor_a.accounts[0][1],
        world.vendor_a.accounts[0][1][-4:],
        "NGUYEN THI LAN",
        world.reference,
    ]
    return [s for s in secrets if s in text]


def test_anonymous_gets_401_on_every_vendor_and_official_page(world: World) -> None:
    client = world.site.client()
    client.get("/login")
    for path in [*VENDOR_GETS, *OFFICIAL_GETS]:
        response = client.get(_fill(path, world))
        assert response.status_code == 401, path
        assert "Bạn cần đăng nhập" in response.text, path
        assert _leaks(world, response.text) == [], path


def test_anonymous_sees_only_the_login_signup_and_buyer_pages(world: World) -> None:
    client = world.site.client()
    for path in PUBLIC_GETS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert _leaks(world, response.text) == [], path


def test_vendor_b_cannot_read_vendor_a_accounts_requests_or_stickers(world: World) -> None:
    client = world.site.client()
    login(client, world.vendor_b.phone)
    for path in VENDOR_GETS:
        if "{" not in path:
            continue
        response = client.get(_fill(path, world))
        assert response.status_code == 403, path
        assert _leaks(world, response.text) == [], path
    # B's own pages never list A's things either
    for path in ["/v", "/v/accounts", "/v/requests", "/v/history?q=", "/v/sell"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert _leaks(world, response.text) == [], path


def test_vendor_b_cannot_create_a_request_on_vendor_a_account(world: World) -> None:
    client = world.site.client()
    login(client, world.vendor_b.phone)
    token = csrf_of(client.get("/v/sell").text)
    before = world.request_count()
    response = client.post(
        "/v/requests",
        data={
            "csrf_token": token,
            "amount": "25000",
            "account_id": str(world.vendor_a.account_ids[0]),
        },
    )
    assert response.status_code == 400
    assert world.request_count() == before


def test_official_cannot_use_vendor_pages_or_move_money(world: World) -> None:
    world.site.add_user("0912000009", Role.OFFICIAL)
    client = world.site.client()
    login(client, "0912000009")
    token = csrf_of(client.get("/dashboard").text)
    for path in VENDOR_GETS:
        response = client.get(_fill(path, world))
        assert response.status_code == 403, path
        assert _leaks(world, response.text) == [], path
    before = world.request_count()
    for path in VENDOR_POSTS:
        response = client.post(
            path,
            data={
                "csrf_token": token,
                "amount": "25000",
                "bin": "970436",
                "account": "0123456789",
                "account_id": "1",
            },
        )
        assert response.status_code == 403, path
    # The payment API wants the operator's token; an official's session is not one.
    paid = client.post(
        "/api/v1/switch/payments",
        json={
            "payload": world.request_payload,
            "payer_bin": "970407",
            "payer_account": "1900123456",
            "client_transfer_id": "official-try",
            "amount_dong": 25_000,
        },
    )
    assert paid.status_code == 401
    assert world.request_count() == before


@pytest.mark.parametrize("path", OFFICIAL_GETS)
def test_vendors_cannot_open_the_dashboard(world: World, path: str) -> None:
    client = world.site.client()
    login(client, world.vendor_a.phone)
    response = client.get(path)
    assert response.status_code == 403
    assert "Bạn không có quyền" in response.text


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.OPERATOR])
def test_dashboard_viewers_see_no_buyer_personal_data_in_pages_or_exports(
    world: World, tmp_path: Path, role: Role
) -> None:
    """The buyer paid vendor A; nothing an official or operator can open names the buyer."""
    world.site.add_user("0912000009", role)
    client = world.site.client()
    login(client, "0912000009")
    assert 'href="/dashboard"' in client.get("/").text  # the menu leads there
    texts = []
    for scope in ("", f"market={world.market_id}&"):
        texts.append(client.get(f"/dashboard?{scope}").text)
        texts.append(client.get(f"/dashboard/export?{scope}format=csv").content.decode("utf-8-sig"))
        sheet = load_workbook(
            io.BytesIO(client.get(f"/dashboard/export?{scope}format=xlsx").content)
        )
        texts.append(" ".join(str(c.value) for row in sheet.active.iter_rows() for c in row))
        pdf = tmp_path / "report.pdf"
        pdf.write_bytes(client.get(f"/dashboard/export?{scope}format=pdf").content)
        texts.append(
            subprocess.run(
                ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout
        )
    assert "Chợ Đại Từ" in texts[1] + texts[5]  # the exports do carry the market's figures
    for text in texts:
        for secret in world.buyer_secrets():
            assert secret not in text
