"""Dependencies of the payments API: the process's ``PaymentsWorld``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from merchant_app.wiring import PaymentsWorld


def get_world(request: Request) -> PaymentsWorld:
    world: PaymentsWorld = request.app.state.payments
    return world


WorldDep = Annotated[PaymentsWorld, Depends(get_world)]
