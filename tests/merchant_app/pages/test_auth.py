"""Logging in and out through the real pages: argon2, signed session, CSRF, rate limit."""

from __future__ import annotations

import json
from base64 import b64encode

from itsdangerous import TimestampSigner
from sqlalchemy import func, select, text

from merchant_app.pages.auth import LOGIN_ADDRESS_BURST
from merchant_app.users import Role
from merchant_app.users.service import LOGIN_MAX_FAILURES, LOGIN_WINDOW_S
from merchant_app.users.tables import login_attempts
from tests.merchant_app.pages.site import PASSWORD, Site, csrf_of, login

OFFICIAL_PHONE = "0912000001"


def _post_login(site_client, phone: str, password: str):  # type: ignore[no-untyped-def]
    token = csrf_of(site_client.get("/login").text)
    return site_client.post(
        "/login", data={"phone": phone, "password": password, "csrf_token": token}
    )


def test_official_logs_in_and_out_with_a_signed_session(site: Site) -> None:
    site.add_user(OFFICIAL_PHONE, Role.OFFICIAL)
    client = site.client()
    response = _post_login(client, OFFICIAL_PHONE, PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    cookie = response.headers["set-cookie"]
    assert "marketpay_session=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    home = client.get("/")
    assert "Đăng xuất" in home.text
    token = csrf_of(home.text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert "Đăng xuất" not in client.get("/").text


def test_password_is_stored_as_argon2id_never_plain(site: Site) -> None:
    site.add_user(OFFICIAL_PHONE, Role.OFFICIAL)
    with site.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_wrong_password_is_refused_in_vietnamese_without_saying_which_part(site: Site) -> None:
    site.add_user(OFFICIAL_PHONE, Role.OFFICIAL)
    client = site.client()
    wrong_password = _post_login(client, OFFICIAL_PHONE, "sai-mat-khau")
    unknown_phone = _post_login(client, "0988888888", PASSWORD)
    for response in (wrong_password, unknown_phone):
        assert response.status_code == 401
        assert "Sai số điện thoại hoặc mật khẩu." in response.text
        assert "marketpay_session" not in response.headers.get("set-cookie", "") or (
            "uid" not in response.headers.get("set-cookie", "")
        )
    assert "Đăng xuất" not in client.get("/").text


def test_session_cookie_signed_with_another_key_is_ignored(site: Site) -> None:
    user = site.add_user(OFFICIAL_PHONE, Role.OFFICIAL)
    client = site.client()
    payload = b64encode(json.dumps({"uid": user.id, "csrf": "x"}).encode())
    forged = TimestampSigner("not-the-server-key").sign(payload).decode()
    client.cookies.set("marketpay_session", forged)
    assert "Đăng xuất" not in client.get("/").text
    client.cookies.clear()
    login(client, OFFICIAL_PHONE)
    assert "Đăng xuất" in client.get("/").text


def test_form_without_matching_csrf_token_is_refused_and_logs_nobody_in(site: Site) -> None:
    site.add_user(OFFICIAL_PHONE, Role.OFFICIAL)
    client = site.client()
    client.get("/login")
    for token in (None, "", "forged-token"):
        data = {"phone": OFFICIAL_PHONE, "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        response = client.post("/login", data=data)
        assert response.status_code == 403
        assert "Phiên làm việc đã hết hạn" in response.text
    assert "Đăng xuất" not in client.get("/").text


def test_logout_needs_the_csrf_token(site: Site) -> None:
    site.add_user(OFFICIAL_PHONE, Role.OFFICIAL)
    client = site.client()
    login(client, OFFICIAL_PHONE)
    assert client.post("/logout", data={}).status_code == 403
    assert "Đăng xuất" in client.get("/").text


def test_login_rate_limit_refuses_even_the_right_password_until_the_window_passes(
    site: Site,
) -> None:
    site.add_user(OFFICIAL_PHONE, Role.OFFICIAL)
    client = site.client()
    for _ in range(LOGIN_MAX_FAILURES):
        assert _post_login(client, OFFICIAL_PHONE, "sai-mat-khau").status_code == 401
    refused = _post_login(client, OFFICIAL_PHONE, PASSWORD)
    assert refused.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in refused.text
    with site.engine.connect() as connection:
        attempts = connection.execute(select(func.count()).select_from(login_attempts))
        assert attempts.scalar_one() == LOGIN_MAX_FAILURES  # refused tries are not counted
    site.clock.advance(LOGIN_WINDOW_S + 1)
    assert _post_login(client, OFFICIAL_PHONE, PASSWORD).status_code == 303


def test_language_switch_sets_a_cookie_and_keeps_english(site: Site) -> None:
    client = site.client()
    english = client.get("/login?lang=en")
    assert '<html lang="en">' in english.text
    assert "Log in" in english.text
    assert '<html lang="en">' in client.get("/login").text
    assert '<html lang="vi">' in client.get("/login?lang=vi").text
    assert '<html lang="vi">' in site.client().get("/login?lang=xx").text


def test_pages_forbid_inline_script_framing_and_caching(site: Site) -> None:
    for path in ("/", "/login", "/pay", "/dashboard"):
        response = site.client().get(path)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy, path
        assert response.headers["cache-control"] == "no-store", path
        assert "<script>" not in response.text, path


def test_one_address_cannot_spray_passwords_across_many_phones(site: Site) -> None:
    client = site.client()
    token = csrf_of(client.get("/login").text)
    statuses = []
    for n in range(LOGIN_ADDRESS_BURST + 1):
        response = client.post(
            "/login",
            data={"phone": f"09120{n:05d}", "password": "doan-thu", "csrf_token": token},
        )
        statuses.append(response.status_code)
    assert statuses[:LOGIN_ADDRESS_BURST] == [401] * LOGIN_ADDRESS_BURST
    assert statuses[-1] == 429
    assert "Bạn thao tác quá nhanh" in response.text
