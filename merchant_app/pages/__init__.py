"""Server-rendered pages (Jinja2) for vendors (/v), buyers (/pay) and officials (/dashboard).

``install_pages(app)`` adds the session middleware, the static files, the HTML error handler
and the routers. Routes parse the form, call one service and render.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from merchant_app.pages import auth, dashboard, feed, pay, signup, vendor
from merchant_app.pages.rendering import STATIC_DIR, render, translator
from merchant_app.pages.security import SESSION_COOKIE, SESSION_MAX_AGE_S, PageError
from merchant_app.settings import Settings

__all__ = ["PageError", "install_pages"]


def install_pages(app: FastAPI, settings: Settings) -> None:
    assert settings.secret_key is not None, "create_app fills in the secret key"
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        # Off by default: markets also run plain HTTP on a local network, where a Secure cookie
        # would never be sent back. Served over https (e.g. behind a TLS proxy), turn it on.
        https_only=settings.secure_cookie,
    )
    app.mount("/assets", StaticFiles(directory=STATIC_DIR), name="assets")
    app.add_exception_handler(PageError, _page_error)  # type: ignore[arg-type]
    app.include_router(auth.router)
    app.include_router(dashboard.router)
    app.include_router(signup.router)
    app.include_router(vendor.router)
    app.include_router(feed.router)
    app.include_router(pay.router)


async def _page_error(request: Request, exc: PageError) -> HTMLResponse:
    message = translator(request)(exc.message_key, **exc.values)
    return render(
        request, "error.html", status_code=exc.status_code, code=exc.status_code, message=message
    )
