"""What the buyer pages need: payments' ``BuyerPhone`` (scan -> read -> pay) behind the web.

The page is the buyer's phone: the same scan, parse, name inquiry and idempotent transfer the
CLI and the simulation use, so the web adds no payment rules of its own.
"""

from __future__ import annotations

from merchant_app.pages import banking
from merchant_app.pages.dashboard_data import VIETNAM
from merchant_app.pages.views import PayeeView, ReceiptView, mask_account
from merchant_app.wiring import PaymentsWorld
from payments.buyer import BuyerPhone, Quote
from payments.errors import InvalidPayload
from payments.requests import MAX_REQUEST_DONG
from qr import QRError

MIN_AMOUNT_DONG = 1_000
MAX_AMOUNT_DONG = MAX_REQUEST_DONG
TIME_FORMAT = "%H:%M %d/%m/%Y"

is_known_bank = banking.is_known_bank
bank_choices = banking.bank_choices


class PhotoProblem(Exception):
    """The photo cannot give a payee; ``message_key`` says why in the people's words."""

    def __init__(self, message_key: str) -> None:
        super().__init__(message_key)
        self.message_key = message_key


def _phone(
    world: PaymentsWorld, caller: str, payer_bin: str = "", payer_account: str = ""
) -> BuyerPhone:
    return BuyerPhone(world.switch, payer_bin=payer_bin, payer_account=payer_account, caller=caller)


def read_photo(world: PaymentsWorld, content: bytes, *, caller: str) -> str:
    """The VietQR payload in a photo, or PhotoProblem naming what went wrong."""
    try:
        return _phone(world, caller).scan(content)
    except InvalidPayload as exc:
        raise PhotoProblem(
            "error.no_qr" if "no QR code" in str(exc) else "error.qr_invalid"
        ) from exc
    except QRError as exc:
        raise PhotoProblem(banking.photo_problem_key(exc)) from exc


def _quote(world: PaymentsWorld, payload: str, caller: str) -> Quote:
    return _phone(world, caller).read(payload)


def payee_for(world: PaymentsWorld, payload: str, *, caller: str) -> PayeeView:
    """Parse and ask the switch whose account it is (raises PaymentError)."""
    quote = _quote(world, payload, caller)
    return PayeeView(
        holder=quote.payee_name,
        bank=quote.bank_name,
        bin=quote.code.bin,
        masked_account=mask_account(quote.code.account),
        amount_dong=quote.amount_dong,
    )


def pay(
    world: PaymentsWorld,
    payload: str,
    *,
    amount_dong: int | None,
    from_bin: str,
    from_account: str,
    client_transfer_id: str,
    caller: str,
) -> ReceiptView:
    """Pay once; a retry with the same client transfer id returns the same receipt."""
    phone = _phone(world, caller, from_bin, from_account)
    quote = phone.read(payload)
    receipt = phone.pay(quote, amount_dong=amount_dong, client_transfer_id=client_transfer_id)
    at = receipt.at.astimezone(VIETNAM).strftime(TIME_FORMAT) if receipt.at else ""
    return ReceiptView(
        transfer_id=receipt.client_transfer_id,
        payee=receipt.payee_name,
        bank=receipt.bank_name,
        masked_account=mask_account(quote.code.account),
        amount_dong=receipt.amount_dong,
        at_text=at,
    )
