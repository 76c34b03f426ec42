"""The buyer's phone: scan -> parse -> name inquiry -> confirm -> transfer -> receipt.

The client transfer id is chosen once per payment and reused on every retry, so a timeout
(even one after the money moved) never charges the buyer twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image

from payments.errors import (
    AmountFixed,
    AmountRequired,
    Cancelled,
    InvalidPayload,
)
from payments.routing import Payment, PaymentOutcome, PaymentStatus
from payments.switch import Switch
from qr import QRError, VietQR, bank_by_bin, parse
from qr import scan as scan_photo

BUYER_MAX_ATTEMPTS = 3  # the first try and two retries with the same client transfer id
_RETRYABLE = (PaymentStatus.TIMEOUT, PaymentStatus.OFFLINE)


@dataclass(frozen=True)
class Quote:
    """What the phone shows before the buyer confirms."""

    payload: str
    code: VietQR
    payee_name: str  # from the name inquiry: what the bank says, not what the sticker says
    bank_name: str
    amount_dong: int | None  # fixed for a dynamic code, None for a sticker
    dynamic: bool


@dataclass(frozen=True)
class Receipt:
    status: PaymentStatus
    client_transfer_id: str
    switch_ref: str
    amount_dong: int
    payee_name: str
    bank_name: str
    attempts: int
    at: datetime | None
    event_id: str | None


Confirm = Callable[[Quote, int], bool]


def _always(_quote: Quote, _amount: int) -> bool:
    return True


class BuyerPhone:
    def __init__(
        self,
        switch: Switch,
        *,
        payer_bin: str,
        payer_account: str,
        caller: str | None = None,
        new_client_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._switch = switch
        self.payer_bin = payer_bin
        self.payer_account = payer_account
        self._caller = caller or f"phone:{payer_bin}:{payer_account}"
        self._new_client_id = new_client_id

    def scan(self, image: bytes | Path | Image.Image) -> str:
        """The first VietQR payload found in a photo."""
        found = scan_photo(image)
        problems: list[str] = []
        for text in found:
            try:
                parse(text)
            except QRError as exc:
                problems.append(str(exc))
                continue
            return text
        if not found:
            raise InvalidPayload("no QR code found in the photo")
        raise InvalidPayload(f"no VietQR code in the photo: {'; '.join(problems)[:200]}")

    def read(self, payload: str) -> Quote:
        try:
            code = parse(payload)
        except QRError as exc:
            raise InvalidPayload(f"not a valid VietQR payload: {exc}") from exc
        name = self._switch.name_inquiry(code.bin, code.account, caller=self._caller)
        try:
            bank_name = bank_by_bin(code.bin).short_name
        except QRError:
            bank_name = code.bin
        dynamic = code.point_of_initiation == "dynamic" and code.amount is not None
        return Quote(
            payload,
            code,
            name,
            bank_name,
            code.amount if dynamic else None,
            dynamic,
        )

    def pay(
        self,
        quote: Quote,
        *,
        amount_dong: int | None = None,
        confirm: Confirm = _always,
        client_transfer_id: str | None = None,
    ) -> Receipt:
        if quote.dynamic:
            if amount_dong is not None and amount_dong != quote.amount_dong:
                raise AmountFixed(f"this code asks for exactly {quote.amount_dong} đồng")
            amount_dong = quote.amount_dong
        elif amount_dong is None:
            raise AmountRequired("this is a sticker (static) code: enter the amount to pay")
        assert amount_dong is not None
        if not confirm(quote, amount_dong):
            raise Cancelled("the buyer did not confirm the payment; nothing was sent")
        client_id = client_transfer_id or self._new_client_id()
        payment = Payment(quote.payload, self.payer_bin, self.payer_account, client_id, amount_dong)
        outcome, attempts = self._send(payment)
        outcome.raise_for_status()
        return Receipt(
            outcome.status,
            client_id,
            outcome.switch_ref,
            outcome.amount_dong,
            quote.payee_name,
            quote.bank_name,
            attempts,
            outcome.at,
            outcome.event_id,
        )

    def _send(self, payment: Payment) -> tuple[PaymentOutcome, int]:
        for attempt in range(1, BUYER_MAX_ATTEMPTS + 1):
            outcome = self._switch.pay(payment)
            if outcome.status not in _RETRYABLE or attempt == BUYER_MAX_ATTEMPTS:
                return outcome, attempt
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def pay_photo(
        self, image: bytes | Path | Image.Image, *, amount_dong: int | None = None
    ) -> Receipt:
        return self.pay(self.read(self.scan(image)), amount_dong=amount_dong)
