"""The qr library as the pages use it: the bank directory, QR images, stickers, scan errors."""

from __future__ import annotations

import functools

from merchant_app.pages.views import Choice
from payments.directory import ReceivingAccount, Vendor
from qr import Bank, QRError, banks, find_bank
from qr.banks import bank_or_none
from qr.render import render_png
from qr.sticker import MAX_TEXT_CHARS, StickerInfo, sticker_pdf, sticker_sheet_pdf

BANK_LABEL_MAX_CHARS = 40
SCREEN_QR_SCALE_PX = 12  # ~ 500 px for a dynamic code: sharp on a phone screen, small PNG


@functools.cache
def _choices() -> tuple[Choice, ...]:
    return tuple(Choice(b.bin, f"{b.short_name} ({b.code})") for b in _directory())


def _directory() -> list[Bank]:
    # One entry per BIN, in the directory's order (a BIN may be listed under two codes).
    seen: dict[str, Bank] = {}
    for bank in banks():
        seen.setdefault(bank.bin, bank)
    return list(seen.values())


def bank_choices() -> list[Choice]:
    return list(_choices())


def is_known_bank(bin_code: str) -> bool:
    return len(bin_code) == 6 and bin_code.isdigit() and bank_or_none(bin_code) is not None


def bank_label(bin_code: str) -> str:
    bank = bank_or_none(bin_code)
    return bin_code if bank is None else bank.short_name[:BANK_LABEL_MAX_CHARS]


def bins_matching(query: str) -> list[str]:
    """BINs whose bank code or name matches what the vendor typed (history search)."""
    return sorted({bank.bin for bank in find_bank(query)})


def photo_problem_key(exc: QRError) -> str:
    return "error.upload_not_image"


def qr_png(payload: str) -> bytes:
    """The per-sale QR shown full screen (qr's error-correction level and quiet zone)."""
    return render_png(payload, scale=SCREEN_QR_SCALE_PX)


def stickers_pdf(
    vendor: Vendor, market: str, accounts: list[ReceivingAccount], *, sheet: bool
) -> bytes:
    """One A6 sticker, or an A4 sheet of all of them, for the vendor's receiving accounts."""
    infos = [
        StickerInfo(
            payload=account.static_payload,
            vendor_name=vendor.name[:MAX_TEXT_CHARS],
            bank_short_name=bank_label(account.bank_bin),
            account=account.account_number,
            market=market[:MAX_TEXT_CHARS],
            stall=vendor.stall[:MAX_TEXT_CHARS],
        )
        for account in accounts
    ]
    if sheet:
        return sticker_sheet_pdf(infos)
    (one,) = infos
    return sticker_pdf(one)
