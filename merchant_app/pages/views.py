"""What the templates show: small frozen records built from payments' data by the desks.

Templates never see payments' own objects, so a change there touches one adapter, not every
page; and nothing a template could print carries more than the page should show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The sticker's masking (last 4 digits) is the one the pages show too.
from qr.sticker import mask_account as mask_account


@dataclass(frozen=True)
class Choice:
    """An option of a <select>: a bank, a market."""

    value: str
    label: str


@dataclass(frozen=True)
class VendorView:
    id: int
    name: str
    market: str
    stall: str


@dataclass(frozen=True)
class AccountView:
    id: int
    bin: str
    bank: str
    masked: str
    holder: str


@dataclass(frozen=True)
class BankTakings:
    bank: str
    count: int
    total_dong: int


@dataclass(frozen=True)
class PeriodTakings:
    key: str  # "today" or "month"
    count: int
    total_dong: int
    by_bank: list[BankTakings] = field(default_factory=list)


@dataclass(frozen=True)
class Takings:
    today: PeriodTakings
    month: PeriodTakings


@dataclass(frozen=True)
class RequestView:
    id: int
    reference: str
    amount_dong: int
    paid_dong: int
    status: str  # pending / paid / underpaid / overpaid / expired
    bank: str
    masked_account: str
    created_at_text: str
    expires_at_text: str


@dataclass(frozen=True)
class PaymentView:
    at_text: str
    bank: str
    reference: str
    amount_dong: int


@dataclass(frozen=True)
class PayeeView:
    """What a buyer sees after scanning: who will be paid, where, and a fixed amount if any."""

    holder: str
    bank: str
    bin: str
    masked_account: str
    amount_dong: int | None


@dataclass(frozen=True)
class ReceiptView:
    transfer_id: str
    payee: str
    bank: str
    masked_account: str
    amount_dong: int
    at_text: str
