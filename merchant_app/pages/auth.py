"""Home, log in, log out (vendor sign-up lives in signup.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from merchant_app.clock import Clock
from merchant_app.deps import ClockDep, SessionDep
from merchant_app.pages.i18n import Translator
from merchant_app.pages.rendering import render, translator
from merchant_app.pages.security import CheckedForm, OptionalUser, form_text, log_in, log_out
from merchant_app.users import (
    InvalidCredentials,
    InvalidUserInput,
    PhoneTaken,
    Role,
    TooManyAttempts,
    User,
    UserError,
    authenticate,
)
from merchant_app.users.passwords import PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS
from payments.errors import RateLimited
from payments.ratelimit import RateLimiter

router = APIRouter(include_in_schema=False)

LOGIN_ADDRESS_BURST = 30  # attempts one address may make at once (a market's NAT, mornings)
LOGIN_ADDRESS_REFILL_PER_S = 0.2  # then one every 5 s

HOME_BY_ROLE = {Role.VENDOR: "/v", Role.OFFICIAL: "/dashboard", Role.OPERATOR: "/"}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: OptionalUser) -> Response:
    return render(request, "home.html", user=user)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: OptionalUser) -> Response:
    return render(request, "login.html", user=user)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, form: CheckedForm, session: SessionDep, clock: ClockDep) -> Response:
    phone = form_text(form, "phone")
    password = form.get("password")
    if not phone or not isinstance(password, str) or not password:
        t = translator(request)
        return _login_failed(request, phone, t("error.required", field=t("login.phone")))
    try:
        _address_limiter(request, clock).take("login:" + _address(request))
    except RateLimited:
        message = translator(request)("error.slow_down")
        return _login_failed(request, phone, message, status_code=429)
    try:
        user = authenticate(session, phone=phone, password=password, now=clock.now())
    except TooManyAttempts as exc:
        minutes = max(1, (exc.retry_after_s + 59) // 60)
        message = translator(request)("error.rate_limited", minutes=minutes)
        return _login_failed(request, phone, message, status_code=429)
    except InvalidCredentials:
        # No exception escapes, so the session commits the recorded failed attempt.
        return _login_failed(request, phone, translator(request)("error.bad_credentials"))
    log_in(request, user)
    return RedirectResponse(HOME_BY_ROLE[user.role], status_code=303)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _address_limiter(request: Request, clock: Clock) -> RateLimiter:
    """Login attempts per client address, across phone numbers (password spraying).

    The per-phone limit lives in the database and holds across app servers; this one is per
    process (payments' token bucket), a bound on how fast one address can try many phones.
    """
    limiter: RateLimiter | None = getattr(request.app.state, "login_limiter", None)
    if limiter is None:
        limiter = RateLimiter(
            clock, burst=LOGIN_ADDRESS_BURST, refill_per_s=LOGIN_ADDRESS_REFILL_PER_S
        )
        request.app.state.login_limiter = limiter
    return limiter


def _login_failed(
    request: Request, phone: str, message: str, status_code: int = 401
) -> HTMLResponse:
    return render(
        request, "login.html", phone=phone[:20], errors=[message], status_code=status_code
    )


@router.post("/logout")
def logout(request: Request, _form: CheckedForm) -> Response:
    log_out(request)
    return RedirectResponse("/login", status_code=303)


def user_error_message(t: Translator, exc: UserError) -> str:
    """The people's words for a users-package error, by its class and field."""
    if isinstance(exc, PhoneTaken):
        return t("error.phone_taken")
    if isinstance(exc, InvalidUserInput):
        if exc.field == "phone":
            return t("error.phone_invalid")
        if exc.field == "password":
            too_short = "at least" in str(exc)
            return (
                t("error.password_short", min=PASSWORD_MIN_CHARS)
                if too_short
                else t("error.password_long", max=PASSWORD_MAX_CHARS)
            )
        if exc.field == "name":
            return t("error.required", field=t("signup.name"))
    return t("error.generic", reason=str(exc))


def home_for(user: User) -> str:
    return HOME_BY_ROLE[user.role]
