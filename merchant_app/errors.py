"""Map each package's error family to an HTTP status and one JSON shape, in one place.

Every error body is ``{"error": code, "message": text}``. Each package's base exception class
is registered below; the handler is found by the exception's MRO, so subclasses inherit it and
may carry their own ``status_code`` and ``code`` attributes.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from ledger import LedgerError
from merchant_app.settings import ConfigError
from merchant_app.users.errors import UserError
from payments.errors import PaymentError
from qr import QRError

# (base class, default status, default error code); packages add their families here.
ERROR_FAMILIES: list[tuple[type[Exception], int, str]] = [
    (ConfigError, 500, "config_error"),
    (UserError, 400, "user_error"),
    (PaymentError, 400, "payment_error"),
    (LedgerError, 400, "ledger_error"),
    (QRError, 422, "qr_error"),
]


def error_body(code: str, message: str) -> dict[str, str]:
    return {"error": code, "message": message}


def install_error_handlers(app: FastAPI) -> None:
    for family, status, code in ERROR_FAMILIES:
        app.add_exception_handler(family, _family_handler(status, code))
    app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_handler)  # type: ignore[arg-type]


def _family_handler(default_status: int, default_code: str):  # type: ignore[no-untyped-def]
    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        status = int(getattr(exc, "status_code", default_status))
        code = str(getattr(exc, "code", default_code))
        return JSONResponse(error_body(code, str(exc)), status_code=status)

    return handler


async def _validation_handler(_request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for item in exc.errors()[:10]:
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return JSONResponse(
        # jsonable_encoder: an item's "input" may be bytes (a body sent as text/plain).
        {
            **error_body("invalid_request", "; ".join(problems)),
            "detail": jsonable_encoder(exc.errors()[:10]),
        },
        status_code=422,
    )


def _allowed_methods(request: Request) -> str:
    """Every method of every route at this path: starlette's 405 names only the first route's
    (GET and POST of one path are two routes), so ``Allow`` was incomplete."""
    methods: set[str] = set()
    pending = list(request.app.router.routes)
    while pending:
        route = pending.pop()
        inner = getattr(route, "original_router", None)  # FastAPI's included router
        if inner is not None:
            pending.extend(inner.routes)
        elif isinstance(route, Route) and route.methods:
            match, _child = route.matches(request.scope)
            if match is not Match.NONE:
                methods |= route.methods
    return ", ".join(sorted(methods))


async def _http_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    code = {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
    }
    return JSONResponse(
        error_body(code.get(exc.status_code, "http_error"), str(exc.detail)),
        status_code=exc.status_code,
        headers=headers or None,
    )
