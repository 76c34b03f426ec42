"""Vendor sign-up: registers the vendor in the payments directory and its login, together.

Both rows are written in the request's one transaction: if the login cannot be created (phone
already has one) the vendor row is rolled back too, so a failed sign-up changes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from merchant_app.deps import ClockDep, SessionDep
from merchant_app.pages.auth import user_error_message
from merchant_app.pages.errors_text import payment_error_text
from merchant_app.pages.i18n import Translator
from merchant_app.pages.reading import ReadSessionDep
from merchant_app.pages.rendering import render, translator
from merchant_app.pages.security import CheckedForm, OptionalUser, form_text, log_in
from merchant_app.pages.views import Choice
from merchant_app.users import (
    InvalidUserInput,
    Role,
    User,
    UserError,
    create_user,
    normalize_phone,
)
from merchant_app.users.passwords import PASSWORD_MAX_CHARS
from payments import directory
from payments.errors import Conflict, NotFound, PaymentError
from payments.tables import (
    CATEGORY_MAX_CHARS,
    NAME_MAX_CHARS,
    STALL_MAX_CHARS,
    communes,
    districts,
    markets,
)

router = APIRouter(include_in_schema=False)

LIMITS = {"name": NAME_MAX_CHARS, "stall": STALL_MAX_CHARS, "category": CATEGORY_MAX_CHARS}
DEFAULT_CATEGORY = "khác"  # "other": the directory needs a category; most vendors skip it
DEFAULT_STALL = "-"


def market_choices(session: Session) -> list[Choice]:
    rows = session.execute(
        select(markets.c.id, markets.c.name, communes.c.name, districts.c.name)
        .join(communes, communes.c.id == markets.c.commune_id)
        .join(districts, districts.c.id == communes.c.district_id)
        .order_by(districts.c.name, communes.c.name, markets.c.name)
    ).all()
    return [Choice(str(i), f"{m} — {c}, {d}") for i, m, c, d in rows]


def _page(
    request: Request,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
    user: User | None = None,
) -> Response:
    return render(
        request,
        "signup.html",
        user=user,
        markets=market_choices(session),
        limits=LIMITS,
        values=values or {},
        errors=errors,
        status_code=status_code,
    )


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, session: ReadSessionDep, user: OptionalUser) -> Response:
    return _page(request, session, user=user)


def _problems(t: Translator, values: dict[str, str], password: str) -> list[str]:
    problems = []
    for name, label in (("name", "signup.name"),):
        if not values[name]:
            problems.append(t("error.required", field=t(label)))
    for name, label in (
        ("name", "signup.name"),
        ("stall", "signup.stall"),
        ("category", "signup.category"),
    ):
        if len(values[name]) > LIMITS[name]:
            problems.append(t("error.too_long", field=t(label), max=LIMITS[name]))
    try:
        normalize_phone(values["phone"])
    except InvalidUserInput:
        problems.append(t("error.phone_invalid"))
    if not values["market_id"].isdigit() or len(values["market_id"]) > 9:
        problems.append(t("error.choose_market"))
    if len(password) > PASSWORD_MAX_CHARS:
        problems.append(t("error.password_long", max=PASSWORD_MAX_CHARS))
    return problems


@router.post("/signup", response_class=HTMLResponse)
def signup(request: Request, form: CheckedForm, session: SessionDep, clock: ClockDep) -> Response:
    t = translator(request)
    values = {
        key: form_text(form, key) for key in ("name", "phone", "market_id", "stall", "category")
    }
    raw_password = form.get("password")
    password = raw_password if isinstance(raw_password, str) else ""
    problems = _problems(t, values, password)
    if problems:
        return _page(request, session, values=values, errors=problems, status_code=400)
    phone = normalize_phone(values["phone"])
    now = clock.now()
    try:
        vendor, _token = directory.register_vendor(
            session.connection(),
            market_id=int(values["market_id"]),
            name=values["name"],
            phone=phone,
            category=values["category"] or DEFAULT_CATEGORY,
            stall=values["stall"] or DEFAULT_STALL,
            now=now,
        )
        user = create_user(
            session,
            phone=phone,
            password=password,
            role=Role.VENDOR,
            display_name=values["name"],
            now=now,
            vendor_id=vendor.id,
        )
    except (PaymentError, UserError) as exc:
        session.rollback()
        if isinstance(exc, UserError):
            message = user_error_message(t, exc)
        elif isinstance(exc, Conflict):  # register_vendor's only conflict: the phone
            message = t("error.phone_taken")
        elif isinstance(exc, NotFound):  # and its only lookup: the market
            message = t("error.choose_market")
        else:
            message = payment_error_text(t, exc)
        return _page(request, session, values=values, errors=[message], status_code=400)
    log_in(request, user)
    return RedirectResponse("/v", status_code=303)
