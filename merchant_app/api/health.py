"""``GET /healthz``: is the service up and can it reach its database?"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from merchant_app.deps import EngineDep
from merchant_app.migrate import current_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(engine: EngineDep) -> JSONResponse:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        return JSONResponse(
            {"status": "error", "database": {"status": "unreachable", "error": type(exc).__name__}},
            status_code=503,
        )
    return JSONResponse(
        {
            "status": "ok",
            "database": {"status": "ok", "backend": engine.dialect.name, "revision": revision},
        }
    )
