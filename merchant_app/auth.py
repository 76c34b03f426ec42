"""Operator authentication for machine APIs (ledger, switch): ``Authorization: Bearer <token>``.

No header (or not a Bearer one) is 401 with ``WWW-Authenticate: Bearer``; a wrong token is 403.
The token is compared in constant time against ``settings.operator_token``.

Vendors authenticate the same way with the API token they got at registration
(``CurrentVendor``); only its SHA-256 is stored, so it is looked up by hash.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from merchant_app.deps import EngineDep, SettingsDep
from payments import directory
from payments.directory import Vendor

BEARER_PREFIX = "bearer "


def require_operator(request: Request, settings: SettingsDep) -> None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith(BEARER_PREFIX) or not header[len(BEARER_PREFIX) :].strip():
        raise HTTPException(
            status_code=401,
            detail="operator token required: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    given = header[len(BEARER_PREFIX) :].strip().encode()
    expected = settings.operator_token
    if expected is None or not secrets.compare_digest(given, expected.get_secret_value().encode()):
        raise HTTPException(status_code=403, detail="operator token is not valid")


OperatorDep = Annotated[None, Depends(require_operator)]


def _bearer(request: Request, what: str) -> str:
    header = request.headers.get("authorization", "")
    token = header[len(BEARER_PREFIX) :].strip() if header.lower().startswith(BEARER_PREFIX) else ""
    if not token:
        raise HTTPException(
            status_code=401,
            detail=f"{what} required: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token


def current_vendor(request: Request, engine: EngineDep) -> Vendor:
    """The vendor whose API token (issued at registration, stored hashed) is presented.

    Read on a short connection of its own, not the request's session: a long response (the
    SSE feed) must not hold a transaction, which on SQLite would be the write lock."""
    token = _bearer(request, "vendor token")
    with engine.connect() as connection:
        connection = connection.execution_options(sqlite_begin="DEFERRED")
        vendor = directory.vendor_by_token(connection, token)
    if vendor is None:
        raise HTTPException(status_code=403, detail="vendor token is not valid")
    return vendor


CurrentVendor = Annotated[Vendor, Depends(current_vendor)]
