"""Every route of the app x every role, against an expected allow/deny table.

Roles: anonymous; vendor A (logged-in session and A's API token); vendor B, "other vendor"
(the same, for B, trying A's things); an official (session); an operator (session and the
operator token). ``MATRIX`` lists every route the app has: a route added without an entry fails
``test_every_route_has_an_entry``, so nobody can add a door without saying who may use it.

Expectations: ``A`` allowed (not 401/403), ``D`` denied (401 or 403), ``X`` another vendor's
thing (403 or 404, and none of its owner's data in the answer); ``P`` the login form itself
(reached: neither 403 nor 5xx; a wrong password is its own 401).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from starlette.routing import BaseRoute, Mount

from merchant_app.users import Role
from payments.directory import hash_token
from payments.tables import vendors
from tests.merchant_app.pages.site import csrf_of, login
from tests.merchant_app.pages.world import World

ROLES = ("anonymous", "vendor", "other_vendor", "official", "operator")
OPERATOR_TOKEN = "matrix-operator-token-0123456789abcdef"
TOKEN_A, TOKEN_B = "matrix-vendor-token-a-0123456789", "matrix-vendor-token-b-0123456789"
PUBLIC, OPERATOR, OFFICIALS, VENDORS, OWNED = "AAAAA", "DDDDA", "DDDAA", "DAADD", "DAXDD"
OFFICIAL_PAGES = "DDDAA"  # officials and operators (F5: operators used to be refused)

# "METHOD path" (or "MOUNT path") -> expectation per role, in ROLES order.
MATRIX: dict[str, str] = {
    "GET /openapi.json": PUBLIC,
    "MOUNT /static/swagger-ui": PUBLIC,
    "GET /docs": PUBLIC,
    "MOUNT /assets": PUBLIC,
    "GET /": PUBLIC,
    "GET /login": PUBLIC,
    "POST /login": "PPPPP",
    "POST /logout": PUBLIC,
    "GET /dashboard": OFFICIAL_PAGES,
    "GET /dashboard/export": OFFICIAL_PAGES,
    "GET /signup": PUBLIC,
    "POST /signup": PUBLIC,
    "GET /v": VENDORS,
    "GET /v/accounts": VENDORS,
    "POST /v/accounts": VENDORS,
    "GET /v/accounts/{account_id}/sticker.pdf": OWNED,
    "GET /v/stickers.pdf": VENDORS,
    "GET /v/sell": VENDORS,
    "POST /v/requests": VENDORS,
    "GET /v/requests": VENDORS,
    "GET /v/requests/{request_id}": OWNED,
    "GET /v/requests/{request_id}/qr.png": OWNED,
    "GET /v/requests/{request_id}/status": OWNED,
    "GET /v/feed": VENDORS,
    "GET /v/history": VENDORS,
    "GET /v/feed/stream": VENDORS,
    "GET /pay": PUBLIC,
    "POST /pay": PUBLIC,
    "POST /pay/confirm": PUBLIC,
    "GET /healthz": PUBLIC,
    "POST /api/v1/ledger/accounts": OPERATOR,
    "POST /api/v1/ledger/transfers": OPERATOR,
    "GET /api/v1/ledger/accounts/{account_id}": OPERATOR,
    "GET /api/v1/ledger/accounts/{account_id}/transfers": OPERATOR,
    "GET /api/v1/stats/adoption": OFFICIALS,
    "GET /api/v1/stats/forecast": OFFICIALS,
    "POST /api/v1/stats/refresh": OPERATOR,
    "GET /api/v1/reconciliation/runs": OFFICIALS,
    "GET /api/v1/reconciliation/runs/{day}": OFFICIALS,
    "POST /api/v1/reconciliation/run": OPERATOR,
    "GET /api/v1/vendors/me": VENDORS,
    "GET /api/v1/vendors/me/accounts": VENDORS,
    "POST /api/v1/vendors/me/accounts": VENDORS,
    "POST /api/v1/vendors/me/requests": VENDORS,
    "GET /api/v1/vendors/me/requests/{request_id}": OWNED,
    "GET /api/v1/vendors/me/credits": VENDORS,
    "PUT /api/v1/vendors/me/webhook": VENDORS,
    "GET /api/v1/vendors/{vendor_id}/feed": OWNED,
    "GET /api/v1/directory": OPERATOR,
    "POST /api/v1/directory/districts": OPERATOR,
    "POST /api/v1/directory/communes": OPERATOR,
    "POST /api/v1/directory/markets": OPERATOR,
    "POST /api/v1/directory/vendors": OPERATOR,
    "POST /api/v1/banks/{bank_bin}": OPERATOR,
    "POST /api/v1/banks/{bank_bin}/accounts": OPERATOR,
    "POST /api/v1/banks/{bank_bin}/accounts/{account_number}/deposits": OPERATOR,
    "GET /api/v1/switch/inquiry": OPERATOR,
    "POST /api/v1/switch/payments": OPERATOR,
    "GET /api/v1/switch/settlement": OPERATOR,
    "POST /api/v1/qr/parse": PUBLIC,
    "POST /api/v1/qr/encode": PUBLIC,
    "POST /api/v1/qr/scan": PUBLIC,
}
MOUNT_FILES = {"/static/swagger-ui": "/swagger-ui.css", "/assets": "/app.css"}
QUERIES = {
    "/dashboard/export": "?format=csv",
    "/api/v1/switch/inquiry": "?bin=970436&account=0011223344",
    "/api/v1/switch/settlement": "?day=2026-11-29",
}
# These end the caller's session, so they are tried after every other route.
SESSION_ENDING = ("POST /signup", "POST /login", "POST /logout")
STREAMS = {"/v/feed/stream", "/api/v1/vendors/{vendor_id}/feed"}


def route_keys(routes: list[BaseRoute]) -> Iterator[str]:
    """``METHOD path`` of every endpoint, through included routers; ``MOUNT path`` for mounts."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from route_keys(inner.routes)
        elif isinstance(route, Mount):
            yield f"MOUNT {route.path}"
        else:
            methods = getattr(route, "methods", None) or set()
            path = getattr(route, "path", "")
            yield from (f"{m} {path}" for m in sorted(methods - {"HEAD"}))


@dataclass
class Caller:
    client: TestClient
    headers: dict[str, str]


def _callers(world: World) -> dict[str, Caller]:
    site = world.site
    site.app.state.settings.operator_token = _secret(OPERATOR_TOKEN)
    with site.engine.begin() as connection:
        for vendor_id, token in ((world.vendor_a.id, TOKEN_A), (world.vendor_b.id, TOKEN_B)):
            by_id = update(vendors).where(vendors.c.id == vendor_id)
            connection.execute(by_id.values(token_hash=hash_token(token)))
    site.add_user("0933000001", Role.OFFICIAL)
    site.add_user("0933000002", Role.OPERATOR)
    logins: dict[str, tuple[str, str | None]] = {
        "vendor": (world.vendor_a.phone, TOKEN_A),
        "other_vendor": (world.vendor_b.phone, TOKEN_B),
        "official": ("0933000001", None),
        "operator": ("0933000002", OPERATOR_TOKEN),
    }
    callers = {"anonymous": Caller(site.client(), {})}
    for role, (phone, bearer) in logins.items():
        client = site.client()
        login(client, phone)
        callers[role] = Caller(client, {"Authorization": f"Bearer {bearer}"} if bearer else {})
    return callers


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


def _url(key: str, world: World) -> tuple[str, str]:
    method, path = key.split(" ", 1)
    if method == "MOUNT":
        return "GET", path + MOUNT_FILES[path]
    filled = path.format(
        account_id=world.vendor_a.account_ids[0],
        request_id=world.request_id,
        vendor_id=world.vendor_a.id,
        day="2026-11-29",
        bank_bin="970436",
        account_number="0011223344",
    )
    if path.startswith("/api/v1/ledger/accounts/{"):
        filled = path.format(account_id=1)
    return method, filled + QUERIES.get(path, "")


def _status(caller: Caller, method: str, url: str, path: str) -> tuple[int, str]:
    headers = dict(caller.headers)
    data = None
    if method != "GET" and not url.startswith("/api/"):
        data = {"csrf_token": csrf_of(caller.client.get("/pay").text)}
    if path in STREAMS:
        with caller.client.stream(method, url, headers=headers) as response:
            return response.status_code, ""
    if method != "GET" and url.startswith("/api/"):
        response = caller.client.request(method, url, headers=headers, json={})
    else:
        response = caller.client.request(method, url, headers=headers, data=data)
    return response.status_code, response.text


ALLOWED_CODES_DENY = {"D": {401, 403}, "X": {403, 404}}


def test_every_route_has_an_entry(world: World) -> None:
    keys = set(route_keys(world.site.app.routes))
    assert keys - set(MATRIX) == set(), "routes without an authorization entry"
    assert set(MATRIX) - keys == set(), "entries for routes that no longer exist"


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_every_route_times_every_role(world: World) -> None:
    callers = _callers(world)
    wrong = []
    order = [k for k in MATRIX if k not in SESSION_ENDING] + list(SESSION_ENDING)
    for key in order:
        expected = MATRIX[key]
        method, url = _url(key, world)
        path = key.split(" ", 1)[1]
        for role, want in zip(ROLES, expected, strict=True):
            status, body = _status(callers[role], method, url, path)
            if want == "A":
                ok = status not in {401, 403} and status < 500
            elif want == "P":
                ok = status != 403 and status < 500
            else:
                ok = status in ALLOWED_CODES_DENY[want]
                ok = ok and world.vendor_a.name not in body and world.reference not in body
            if not ok:
                wrong.append(f"{key} as {role}: {status} (expected {want})")
    assert wrong == [], "\n".join(wrong)
