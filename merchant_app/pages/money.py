"""The one amount formatter of the faces: Vietnamese grouping with dots, "25.000 đ"."""

from __future__ import annotations

import re

AMOUNT_INPUT_MAX_CHARS = 20
_GROUPED = re.compile(r"^\d{1,3}([.\s]\d{3})+$")


def group_thousands(number: int) -> str:
    """``1250000 -> "1.250.000"``: Vietnamese groups thousands with dots."""
    sign = "-" if number < 0 else ""
    return sign + f"{abs(number):,}".replace(",", ".")


def format_dong(amount_dong: int) -> str:
    """``25000 -> "25.000 đ"``; the same in every language (it is how prices are written)."""
    return f"{group_thousands(amount_dong)} đ"


def parse_dong(text: str) -> int:
    """Read an amount a person typed: ``25000``, ``25.000``, ``25 000`` or ``25.000 đ``.

    Raises ValueError naming the input; the caller checks the range.
    """
    if len(text) > AMOUNT_INPUT_MAX_CHARS:
        raise ValueError("amount: too long")
    cleaned = text.strip().removesuffix("đồng").removesuffix("đ").strip()
    if _GROUPED.match(cleaned):
        cleaned = cleaned.replace(".", "").replace(" ", "")
    if not cleaned.isascii() or not cleaned.isdigit():
        raise ValueError(f"amount {text!r}: not a whole number of đồng")
    return int(cleaned)
