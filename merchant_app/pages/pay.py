"""Buyer pages (``/pay``): photo of a code -> payee name and bank -> amount -> pay -> receipt.

Anyone may use them (a buyer has no MarketPay login; the money comes from a simulated bank
account the buyer names). Retries are safe: the confirm page carries a client transfer id chosen
when it was drawn, and the switch treats a repeat of that id as the same transfer.
"""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from merchant_app.api.payments_deps import WorldDep
from merchant_app.pages import buyer_desk as desk
from merchant_app.pages.errors_text import payment_error_text
from merchant_app.pages.i18n import Translator
from merchant_app.pages.money import format_dong, parse_dong
from merchant_app.pages.rendering import render, translator
from merchant_app.pages.security import (
    CheckedForm,
    OptionalUser,
    PageError,
    checked_form,
    form_text,
)
from merchant_app.wiring import PaymentsWorld
from payments.errors import PaymentError

router = APIRouter(include_in_schema=False)

UPLOAD_MAX_BYTES = 8 * 1024 * 1024  # a phone photo; larger is refused before decoding
UPLOAD_FORM_OVERHEAD_BYTES = 16 * 1024  # multipart boundaries and the other fields
PAYLOAD_MAX_CHARS = 512
CLIENT_TRANSFER_ID = re.compile(r"^web-[A-Za-z0-9_-]{16,60}$")
ACCOUNT_MIN_DIGITS = 6
ACCOUNT_MAX_DIGITS = 19


def _caller(request: Request) -> str:
    # The name-inquiry rate limit is per caller: a web buyer is known by address only.
    return "web:" + (request.client.host if request.client else "unknown")


@router.get("/pay", response_class=HTMLResponse)
def scan_page(request: Request, user: OptionalUser) -> Response:
    return render(request, "pay/scan.html", user=user)


def _scan_failed(request: Request, key: str, status_code: int, **values: object) -> Response:
    message = translator(request)(key, **values)
    return render(request, "pay/scan.html", errors=[message], status_code=status_code)


@router.post("/pay", response_class=HTMLResponse)
async def upload(request: Request, world: WorldDep) -> Response:
    # An oversized upload is refused from its header, before the body is read or spooled.
    length = request.headers.get("content-length", "")
    too_big = {"max_mb": UPLOAD_MAX_BYTES // (1024 * 1024)}
    if not length.isdigit():
        return _scan_failed(request, "error.upload_missing", 411)
    if int(length) > UPLOAD_MAX_BYTES + UPLOAD_FORM_OVERHEAD_BYTES:
        return _scan_failed(request, "error.upload_too_big", 413, **too_big)
    form = await checked_form(request)
    try:
        photo = form.get("photo")
        if not isinstance(photo, UploadFile) or not photo.filename:
            return _scan_failed(request, "error.upload_missing", 400)
        content = await photo.read(UPLOAD_MAX_BYTES + 1)
    finally:
        await form.close()  # the spooled upload file goes away now, not at garbage collection
    if not content:
        return _scan_failed(request, "error.upload_missing", 400)
    if len(content) > UPLOAD_MAX_BYTES:
        return _scan_failed(request, "error.upload_too_big", 413, **too_big)
    return await run_in_threadpool(_scan_and_ask, request, world, content)


def _scan_and_ask(request: Request, world: PaymentsWorld, content: bytes) -> Response:
    try:
        payload = desk.read_photo(world, content, caller=_caller(request))
    except desk.PhotoProblem as problem:
        return _scan_failed(request, problem.message_key, 400)
    return _confirm_page(request, world, payload, values={})


def _confirm_page(
    request: Request,
    world: PaymentsWorld,
    payload: str,
    *,
    values: dict[str, str],
    errors: list[str] | None = None,
    client_transfer_id: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        payee = desk.payee_for(world, payload, caller=_caller(request))
    except PaymentError as exc:
        message = payment_error_text(translator(request), exc)
        return render(request, "pay/scan.html", errors=[message], status_code=400)
    return render(
        request,
        "pay/confirm.html",
        payee=payee,
        payload=payload,
        client_transfer_id=client_transfer_id or "web-" + secrets.token_urlsafe(24),
        banks=desk.bank_choices(),
        values=values,
        errors=errors,
        status_code=status_code,
    )


@router.post("/pay/confirm", response_class=HTMLResponse)
def confirm(request: Request, form: CheckedForm, world: WorldDep) -> Response:
    t = translator(request)
    payload = form_text(form, "payload")
    transfer_id = form_text(form, "client_transfer_id")
    if not payload or len(payload) > PAYLOAD_MAX_CHARS or not CLIENT_TRANSFER_ID.match(transfer_id):
        raise PageError(400, "error.qr_invalid")
    values = {key: form_text(form, key) for key in ("amount", "from_bin", "from_account")}
    problems = _problems(t, values)
    if problems:
        return _confirm_page(
            request,
            world,
            payload,
            values=values,
            errors=problems,
            client_transfer_id=transfer_id,
            status_code=400,
        )
    try:
        receipt = desk.pay(
            world,
            payload,
            amount_dong=parse_dong(values["amount"]) if values["amount"] else None,
            from_bin=values["from_bin"],
            from_account=values["from_account"],
            client_transfer_id=transfer_id,
            caller=_caller(request),
        )
    except PaymentError as exc:
        return _confirm_page(
            request,
            world,
            payload,
            values=values,
            errors=[payment_error_text(t, exc)],
            client_transfer_id=transfer_id,
            status_code=400,
        )
    return render(request, "pay/receipt.html", receipt=receipt)


def _problems(t: Translator, values: dict[str, str]) -> list[str]:
    problems = []
    if values["amount"]:
        try:
            amount = parse_dong(values["amount"])
        except ValueError:
            problems.append(t("error.amount_invalid"))
        else:
            if not desk.MIN_AMOUNT_DONG <= amount <= desk.MAX_AMOUNT_DONG:
                low, high = format_dong(desk.MIN_AMOUNT_DONG), format_dong(desk.MAX_AMOUNT_DONG)
                problems.append(t("error.amount_range", min=low, max=high))
    if not desk.is_known_bank(values["from_bin"]):
        problems.append(t("error.bank_unknown"))
    account = values["from_account"]
    digits = account.isascii() and account.isdigit()
    if not (digits and ACCOUNT_MIN_DIGITS <= len(account) <= ACCOUNT_MAX_DIGITS):
        problems.append(t("error.account_invalid"))
    return problems
