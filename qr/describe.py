"""One JSON shape for a parsed code, shared by the CLI (``qr parse --json``) and the API."""

from __future__ import annotations

from typing import Any

from qr.banks import bank_or_none
from qr.errors import PayloadError
from qr.model import COUNTRY_VN, CURRENCY_VND, VietQR
from qr.vietqr import ParseReport, build

DESCRIBE_KEYS = (
    "valid", "network", "point_of_initiation", "bin", "bank", "account", "service_code",
    "amount", "currency", "country", "merchant_name", "merchant_city", "bill_number",
    "reference", "terminal", "purpose", "crc",
)  # fmt: skip


def describe(code: VietQR, *, crc: str | None = None) -> dict[str, Any]:
    """The contract keys of a valid code, in order; ``crc`` defaults to the built payload's."""
    bank = bank_or_none(code.bin)
    return {
        "valid": True,
        "network": "vietqr",
        "point_of_initiation": code.point_of_initiation,
        "bin": code.bin,
        "bank": bank.short_name if bank else None,
        "account": code.account,
        "service_code": code.service_code,
        "amount": code.amount,
        "currency": CURRENCY_VND,
        "country": COUNTRY_VN,
        "merchant_name": code.merchant_name,
        "merchant_city": code.merchant_city,
        "bill_number": code.bill_number,
        "reference": code.reference,
        "terminal": code.terminal,
        "purpose": code.purpose,
        "crc": crc or build(code)[-4:],
    }


def describe_error(exc: PayloadError) -> dict[str, Any]:
    return {"valid": False, "errors": [{"tag": exc.tag, "message": exc.message}]}


def describe_report(report: ParseReport) -> dict[str, Any]:
    """Lenient output: the valid shape plus ``problems`` when a code was read, else the errors
    (with the network, which is known even for codes that are not VietQR)."""
    problems = [
        {"tag": p.tag, "message": p.message, "severity": p.severity} for p in report.problems
    ]
    if report.code is None:
        errors = [{"tag": p.tag, "message": p.message} for p in report.errors]
        return {"valid": False, "network": report.network, "errors": errors}
    valid = not report.errors
    return {**describe(report.code, crc=report.crc), "valid": valid, "problems": problems}
