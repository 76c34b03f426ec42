"""Vendor pages (``/v/...``): accounts, stickers, per-sale QR, live feed, takings, history.

Every route takes the logged-in vendor from the session (``VendorUser``) and passes its vendor
id to the desk, which only ever reads or writes that vendor's rows: another vendor's account or
request id is answered with 403 exactly like one that does not exist, so ids reveal nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from merchant_app.api.payments_deps import WorldDep
from merchant_app.deps import ClockDep, SessionDep
from merchant_app.pages import vendor_desk as desk
from merchant_app.pages.errors_text import payment_error_text
from merchant_app.pages.money import format_dong, parse_dong
from merchant_app.pages.reading import ReadSessionDep
from merchant_app.pages.rendering import render, translator
from merchant_app.pages.security import CheckedForm, PageError, VendorUser, form_text
from merchant_app.pages.views import RequestView
from merchant_app.users import User
from payments.errors import PaymentError

router = APIRouter(prefix="/v", include_in_schema=False)

ACCOUNT_INPUT_MAX_CHARS = 19
NOTE_MAX_CHARS = 60
SEARCH_MAX_CHARS = 40
LIMITS = {"account": ACCOUNT_INPUT_MAX_CHARS, "note": NOTE_MAX_CHARS, "search": SEARCH_MAX_CHARS}


def _vendor_id(user: User) -> int:
    assert user.vendor_id is not None, "vendor users are linked to a vendor (CHECK constraint)"
    return user.vendor_id


@router.get("", response_class=HTMLResponse)
def home(request: Request, user: VendorUser, session: ReadSessionDep, clock: ClockDep) -> Response:
    vendor_id = _vendor_id(user)
    return render(
        request,
        "vendor/home.html",
        user=user,
        vendor=desk.vendor_view(session, vendor_id),
        takings=desk.takings(session, vendor_id, now=clock.now()),
    )


@router.get("/accounts", response_class=HTMLResponse)
def accounts(request: Request, user: VendorUser, session: ReadSessionDep) -> Response:
    return _accounts_page(request, user, session)


def _accounts_page(
    request: Request,
    user: User,
    session: SessionDep,
    *,
    errors: list[str] | None = None,
    notice: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "vendor/accounts.html",
        user=user,
        accounts=desk.accounts(session, _vendor_id(user)),
        banks=desk.bank_choices(),
        limits=LIMITS,
        errors=errors,
        notice=notice,
        values=values or {},
        status_code=status_code,
    )


@router.post("/accounts", response_class=HTMLResponse)
def add_account(
    request: Request,
    user: VendorUser,
    form: CheckedForm,
    session: SessionDep,
    world: WorldDep,
    clock: ClockDep,
) -> Response:
    t = translator(request)
    values = {"bin": form_text(form, "bin"), "account": form_text(form, "account")}
    problem = _account_problem(values["bin"], values["account"])
    if problem is not None:
        return _accounts_page(
            request, user, session, errors=[t(problem)], values=values, status_code=400
        )
    try:
        added = desk.add_account(
            session,
            world,
            _vendor_id(user),
            bin_code=values["bin"],
            account=values["account"],
            now=clock.now(),
        )
    except PaymentError as exc:
        session.rollback()
        return _accounts_page(
            request,
            user,
            session,
            errors=[payment_error_text(t, exc)],
            values=values,
            status_code=exc.status_code if exc.status_code < 500 else 400,
        )
    notice = t("vendor.account_added", bank=added.bank, holder=added.holder)
    return _accounts_page(request, user, session, notice=notice)


def _account_problem(bin_code: str, account: str) -> str | None:
    if not bin_code or not desk.is_known_bank(bin_code):
        return "error.bank_unknown"
    if not account:
        return "error.account_invalid"
    if len(account) > ACCOUNT_INPUT_MAX_CHARS or not (account.isascii() and account.isdigit()):
        return "error.account_invalid"
    if len(account) < desk.ACCOUNT_MIN_DIGITS:
        return "error.account_invalid"
    return None


@router.get("/accounts/{account_id}/sticker.pdf")
def sticker(account_id: int, user: VendorUser, session: ReadSessionDep) -> Response:
    pdf = desk.sticker_pdf(session, _vendor_id(user), account_id)
    if pdf is None:
        raise PageError(403, "error.forbidden")
    return _pdf(pdf, f"marketpay-{account_id}.pdf")


@router.get("/stickers.pdf")
def sticker_sheet(user: VendorUser, session: ReadSessionDep) -> Response:
    pdf = desk.sticker_sheet_pdf(session, _vendor_id(user))
    if pdf is None:
        raise PageError(404, "vendor.no_accounts")
    return _pdf(pdf, "marketpay-stickers.pdf")


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/sell", response_class=HTMLResponse)
def sell(request: Request, user: VendorUser, session: ReadSessionDep) -> Response:
    return _sell_page(request, user, session)


def _sell_page(
    request: Request,
    user: User,
    session: SessionDep,
    *,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "vendor/sell.html",
        user=user,
        accounts=desk.accounts(session, _vendor_id(user)),
        limits=LIMITS,
        errors=errors,
        values=values or {},
        status_code=status_code,
    )


@router.post("/requests", response_class=HTMLResponse)
def create_request(
    request: Request, user: VendorUser, form: CheckedForm, session: SessionDep, clock: ClockDep
) -> Response:
    t = translator(request)
    values = {
        "amount": form_text(form, "amount"),
        "account_id": form_text(form, "account_id"),
        "note": form_text(form, "note"),
    }
    errors = []
    amount_dong = 0
    try:
        amount_dong = parse_dong(values["amount"])
    except ValueError:
        errors.append(t("error.amount_invalid"))
    if amount_dong and not desk.MIN_AMOUNT_DONG <= amount_dong <= desk.MAX_AMOUNT_DONG:
        errors.append(
            t(
                "error.amount_range",
                min=format_dong(desk.MIN_AMOUNT_DONG),
                max=format_dong(desk.MAX_AMOUNT_DONG),
            )
        )
    if not amount_dong and not errors:
        errors.append(t("error.amount_invalid"))
    if len(values["note"]) > NOTE_MAX_CHARS:
        errors.append(t("error.too_long", field=t("vendor.note"), max=NOTE_MAX_CHARS))
    account_id = int(values["account_id"]) if values["account_id"].isdigit() else None
    if account_id is None or not desk.owns_account(session, _vendor_id(user), account_id):
        errors.append(t("vendor.no_accounts"))
    if errors:
        return _sell_page(request, user, session, errors=errors, values=values, status_code=400)
    assert account_id is not None
    try:
        created = desk.create_request(
            session,
            _vendor_id(user),
            account_id=account_id,
            amount_dong=amount_dong,
            note=values["note"],
            now=clock.now(),
        )
    except PaymentError as exc:
        session.rollback()
        return _sell_page(
            request,
            user,
            session,
            errors=[payment_error_text(t, exc)],
            values=values,
            status_code=400,
        )
    return RedirectResponse(f"/v/requests/{created}", status_code=303)


@router.get("/requests", response_class=HTMLResponse)
def requests(
    request: Request, user: VendorUser, session: ReadSessionDep, clock: ClockDep
) -> Response:
    items = desk.requests(session, _vendor_id(user), now=clock.now())
    return render(request, "vendor/requests.html", user=user, requests=items)


def _own_request(session: SessionDep, user: User, request_id: int, clock: ClockDep) -> RequestView:
    found = desk.request_view(session, _vendor_id(user), request_id, now=clock.now())
    if found is None:
        raise PageError(403, "error.forbidden")
    return found


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(
    request: Request, request_id: int, user: VendorUser, session: ReadSessionDep, clock: ClockDep
) -> Response:
    view = _own_request(session, user, request_id, clock)
    return render(request, "vendor/request.html", user=user, request_view=view)


@router.get("/requests/{request_id}/qr.png")
def request_qr(
    request_id: int, user: VendorUser, session: ReadSessionDep, clock: ClockDep
) -> Response:
    _own_request(session, user, request_id, clock)
    png = desk.request_qr_png(session, _vendor_id(user), request_id)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/requests/{request_id}/status")
def request_status(
    request: Request, request_id: int, user: VendorUser, session: ReadSessionDep, clock: ClockDep
) -> Response:
    view = _own_request(session, user, request_id, clock)
    t = translator(request)
    return JSONResponse(
        {
            "status": view.status,
            "status_text": t(f"status.{view.status}"),
            "paid_dong": view.paid_dong,
            "paid_text": t(
                "vendor.paid_so_far",
                paid=format_dong(view.paid_dong),
                amount=format_dong(view.amount_dong),
            ),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/feed", response_class=HTMLResponse)
def feed(request: Request, user: VendorUser) -> Response:
    return render(request, "vendor/feed.html", user=user)


@router.get("/history", response_class=HTMLResponse)
def history(request: Request, user: VendorUser, session: ReadSessionDep, q: str = "") -> Response:
    errors = []
    if len(q) > SEARCH_MAX_CHARS:
        errors.append(translator(request)("error.search_too_long"))
        q = ""
    items = desk.history(session, _vendor_id(user), query=q.strip())
    return render(
        request,
        "vendor/history.html",
        user=user,
        payments=items,
        query=q,
        limits=LIMITS,
        errors=errors,
        status_code=400 if errors else 200,
    )
