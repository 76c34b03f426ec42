"""Who may read aggregate statistics and reconciliation results: officials and operators.

An operator presents the operator token (``Authorization: Bearer``, checked by
``merchant_app.auth.require_operator``); an official (or operator) user may instead be logged in
with the pages' session cookie. Everyone else gets 401 (nobody logged in) or 403.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from merchant_app.auth import require_operator
from merchant_app.deps import SettingsDep
from merchant_app.pages.security import OptionalUser
from merchant_app.users.model import Role


class Viewer(StrEnum):
    OPERATOR = "operator"  # sees everything, may run jobs
    OFFICIAL = "official"  # sees aggregates only


def viewer(request: Request, settings: SettingsDep, user: OptionalUser) -> Viewer:
    if request.headers.get("authorization"):
        require_operator(request, settings)
        return Viewer.OPERATOR
    if user is None:
        raise HTTPException(
            status_code=401,
            detail="log in as an official, or send the operator token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if user.role is Role.OPERATOR:
        return Viewer.OPERATOR
    if user.role is Role.OFFICIAL:
        return Viewer.OFFICIAL
    raise HTTPException(status_code=403, detail="only officials and operators may see this")


def operator_only(who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
    if who is not Viewer.OPERATOR:
        raise HTTPException(status_code=403, detail="only operators may run this")
    return who


ViewerDep = Annotated[Viewer, Depends(viewer)]
OperatorViewer = Annotated[Viewer, Depends(operator_only)]
