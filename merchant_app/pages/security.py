"""Who is asking: the signed session cookie, the CSRF token on every form, role checks.

The session is Starlette's ``SessionMiddleware`` cookie (itsdangerous-signed with
``settings.secret_key``, SameSite=Lax, HttpOnly). It holds the user id and a per-session CSRF
token; every form posts the token back in a hidden field and it must match (session-bound
synchronizer token). Logging in replaces the whole session, so a token or id planted before
login is never carried over.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from merchant_app.deps import EngineDep
from merchant_app.users import Role, User, get_user

SESSION_COOKIE = "marketpay_session"
SESSION_MAX_AGE_S = 12 * 3600  # a market day; vendors log in again the next morning
CSRF_FIELD = "csrf_token"
CSRF_TOKEN_BYTES = 32
FORM_MAX_FIELDS = 50
FORM_MAX_FILES = 1
FORM_MAX_PART_BYTES = 64 * 1024  # text fields; uploads are bounded separately


class PageError(Exception):
    """A page cannot be shown; rendered as an HTML page with the status and a message key."""

    def __init__(self, status_code: int, message_key: str, **values: object) -> None:
        super().__init__(message_key)
        self.status_code = status_code
        self.message_key = message_key
        self.values = values


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(CSRF_TOKEN_BYTES)
        request.session["csrf"] = token
    return token


def log_in(request: Request, user: User) -> None:
    request.session.clear()
    request.session["uid"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(CSRF_TOKEN_BYTES)


def log_out(request: Request) -> None:
    request.session.clear()


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session's (403 otherwise)."""
    form = await request.form(
        max_files=FORM_MAX_FILES, max_fields=FORM_MAX_FIELDS, max_part_size=FORM_MAX_PART_BYTES
    )
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not (
        isinstance(sent, str)
        and isinstance(expected, str)
        and hmac.compare_digest(sent.encode(), expected.encode())
    ):
        await form.close()
        raise PageError(403, "error.csrf")
    return form


def optional_user(request: Request, engine: EngineDep) -> User | None:
    """The logged-in user, read in a short read-only transaction of its own.

    Not the request's session: on SQLite that would hold the write lock (BEGIN IMMEDIATE) for
    the whole request, and payments' services that write through their own connections
    (the switch, the banks) would wait on it.
    """
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        return None
    with Session(engine) as session:
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        return get_user(session, user_id)


OptionalUser = Annotated[User | None, Depends(optional_user)]
CheckedForm = Annotated[FormData, Depends(checked_form)]


def _require(*roles: Role):  # type: ignore[no-untyped-def]
    def dependency(user: OptionalUser) -> User:
        if user is None:
            raise PageError(401, "error.unauthorized")
        if user.role not in roles:
            raise PageError(403, "error.forbidden")
        return user

    return dependency


VendorUser = Annotated[User, Depends(_require(Role.VENDOR))]
# The aggregated dashboard is for officials and for operators, the same two roles the statistics
# API admits (api/officials.py); it shows no buyer's personal data, so neither role sees any.
DashboardUser = Annotated[User, Depends(_require(Role.OFFICIAL, Role.OPERATOR))]


def form_text(form: FormData, name: str) -> str:
    """A text field of the form ('' when missing or when a file was sent instead)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
