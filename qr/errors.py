"""The qr package's one exception family.

    QRError                 base; ``.tag`` names the data object ("" if none), ``.code``
    ├── PayloadError        a payload text breaks a VietQR/EMVCo rule (strict parse, or build input)
    ├── UnknownBank         a BIN or bank name that is not in the directory
    ├── RenderError         an image or sticker cannot be produced (payload too long, font missing)
    └── ScanError           an image cannot be scanned (too big, decompression bomb, not an image)

Messages name the tag and the value, e.g. ``tag 54 (amount) "12a": not digits``.
"""

from __future__ import annotations


class QRError(Exception):
    """Base of every error raised by ``qr``; the message is for people."""

    code = "qr_error"
    status_code = 422

    def __init__(self, message: str, *, tag: str = "") -> None:
        super().__init__(message)
        self.tag = tag
        self.message = message


class PayloadError(QRError):
    code = "qr_payload_invalid"


class UnknownBank(QRError):
    code = "qr_unknown_bank"


class RenderError(QRError):
    code = "qr_render_failed"


class ScanError(QRError):
    code = "qr_scan_failed"
