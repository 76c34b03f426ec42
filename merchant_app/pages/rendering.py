"""Rendering pages: the Jinja2 environment and the context every template gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from merchant_app.pages.i18n import (
    LANG_COOKIE,
    LANG_COOKIE_MAX_AGE_S,
    LANGUAGES,
    Translator,
    pick_language,
)
from merchant_app.pages.money import format_dong
from merchant_app.pages.security import CSRF_FIELD, csrf_token
from merchant_app.users import User

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Pages load scripts and styles only from /assets (no inline script, no CDN), show images from
# this site (QR PNGs) and are never framed: a stolen page cannot run script or be clickjacked.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

_environment = Environment(
    loader=PackageLoader("merchant_app", "templates"),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["dong"] = format_dong
templates = Jinja2Templates(env=_environment)


def language_of(request: Request) -> str:
    return pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def translator(request: Request) -> Translator:
    return Translator(language_of(request))


def render(
    request: Request,
    template: str,
    *,
    user: User | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = language_of(request)
    other = next(code for code in LANGUAGES if code != lang)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": Translator(lang),
            "lang": lang,
            "other_lang": other,
            "lang_switch_url": _with_lang(request, other),
            "user": user,
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token(request),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE_S, samesite="lax", httponly=True
        )
    # Pages carry CSRF tokens and personal figures: never cached by a shared proxy.
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(SECURITY_HEADERS)
    return response


def _with_lang(request: Request, lang: str) -> str:
    """This page's path and query with ``lang`` replaced (relative, so proxies need no host)."""
    query = request.url.include_query_params(lang=lang).query
    return f"{request.url.path}?{query}"
