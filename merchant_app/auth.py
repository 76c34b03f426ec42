"""Operator authentication for machine APIs (ledger, switch): ``Authorization: Bearer <token>``.

No header (or not a Bearer one) is 401 with ``WWW-Authenticate: Bearer``; a wrong token is 403.
The token is compared in constant time against ``settings.operator_token``.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from merchant_app.deps import SettingsDep

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
