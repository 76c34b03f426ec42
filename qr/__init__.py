"""qr: VietQR payloads, the bank directory, QR images, printable stickers, scanning photos.

This code cannot do any IO (flask's sansio rule): payloads and the directory are pure. Only
``qr.render`` (images, sticker PDFs) and ``qr.scan`` (decoding images) touch files or native
libraries.
"""

from __future__ import annotations

from qr.banks import Bank, bank_by_bin, banks, find_bank
from qr.crc import crc16
from qr.describe import DESCRIBE_KEYS, describe, describe_error, describe_report
from qr.errors import PayloadError, QRError, RenderError, ScanError, UnknownBank
from qr.model import SERVICE_ACCOUNT, SERVICE_CARD, VietQR
from qr.networks import network_of

# Edge modules (native libraries, files). Imported after the pure core; binding ``scan`` here
# also makes ``qr.scan`` the function rather than the submodule of the same name.
from qr.render import render_png, render_svg
from qr.scan import SCAN_BUDGET_MS, ScanReport, scan, scan_report
from qr.sticker import StickerInfo, sticker_pdf, sticker_sheet_pdf
from qr.text import strip_diacritics
from qr.vietqr import ParseReport, Problem, build, parse, parse_lenient

__all__ = [
    "DESCRIBE_KEYS",
    "SCAN_BUDGET_MS",
    "SERVICE_ACCOUNT",
    "SERVICE_CARD",
    "Bank",
    "ParseReport",
    "PayloadError",
    "Problem",
    "QRError",
    "RenderError",
    "ScanError",
    "ScanReport",
    "StickerInfo",
    "UnknownBank",
    "VietQR",
    "bank_by_bin",
    "banks",
    "build",
    "crc16",
    "describe",
    "describe_error",
    "describe_report",
    "find_bank",
    "network_of",
    "parse",
    "parse_lenient",
    "render_png",
    "render_svg",
    "scan",
    "scan_report",
    "sticker_pdf",
    "sticker_sheet_pdf",
    "strip_diacritics",
]
