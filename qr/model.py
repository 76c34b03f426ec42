"""The VietQR data model: what a NAPAS VietQR code says, validated field by field.

Text fields go through the banking-app memo rule (``strip_diacritics``) and must then be
printable ASCII, so a model always builds into a payload banking apps accept.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from qr.text import strip_diacritics

NAPAS_GUID = "A000000727"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
SERVICE_ACCOUNT = "QRIBFTTA"
SERVICE_CARD = "QRIBFTTC"
SERVICE_PUSH = "QRPUSH"
SERVICE_CODES = frozenset({SERVICE_ACCOUNT, SERVICE_CARD, SERVICE_PUSH})

BIN_DIGITS = 6
MAX_ACCOUNT_CHARS = 19
MAX_AMOUNT_CHARS = 13  # tag 54 holds at most 13 characters
MAX_AMOUNT_DONG = 10**MAX_AMOUNT_CHARS - 1
MAX_MERCHANT_NAME_CHARS = 25
MAX_MERCHANT_CITY_CHARS = 15
MAX_TEMPLATE_CHARS = 99  # tags 38 and 62 as a whole

# Model field -> the tag it travels in (sub-tags joined with "-"), for error messages.
FIELD_TAGS: dict[str, str] = {
    "bin": "38-01-00",
    "account": "38-01-01",
    "service_code": "38-02",
    "amount": "54",
    "merchant_name": "59",
    "merchant_city": "60",
    "mcc": "52",
    "bill_number": "62-01",
    "reference": "62-05",
    "terminal": "62-07",
    "purpose": "62-08",
    "point_of_initiation": "01",
    "extra_tags": "",
    "extra_napas": "38",
    "extra_additional": "62",
}
TAG_NAMES: dict[str, str] = {
    "00": "payload format",
    "01": "point of initiation",
    "38": "NAPAS account",
    "38-00": "GUID",
    "38-01": "beneficiary",
    "38-01-00": "BIN",
    "38-01-01": "account",
    "38-02": "service code",
    "52": "merchant category",
    "53": "currency",
    "54": "amount",
    "58": "country",
    "59": "merchant name",
    "60": "merchant city",
    "62": "additional data",
    "62-01": "bill number",
    "62-05": "reference",
    "62-07": "terminal",
    "62-08": "purpose",
    "63": "CRC",
}
KNOWN_TOP_TAGS = frozenset({"00", "01", "38", "52", "53", "54", "58", "59", "60", "62", "63"})
KNOWN_NAPAS_TAGS = frozenset({"00", "01", "02"})
KNOWN_ADDITIONAL_TAGS = frozenset({"01", "05", "07", "08"})

Extras = tuple[tuple[str, str], ...]


def label(tag: str) -> str:
    """``"54"`` -> ``"tag 54 (amount)"``."""
    name = TAG_NAMES.get(tag)
    return f"tag {tag} ({name})" if name else f"tag {tag}"


def _is_printable_ascii(text: str) -> bool:
    return text.isascii() and text.isprintable()


def _clean_text(value: object) -> object:
    return strip_diacritics(value) if isinstance(value, str) else value


def _check_text(value: str, max_chars: int) -> str:
    if not _is_printable_ascii(value):
        raise ValueError(f"{value!r}: not printable ASCII after removing diacritics")
    if len(value) > max_chars:
        raise ValueError(f'"{value}": {len(value)} characters, over {max_chars}')
    return value


def _check_extras(extras: Extras, known: frozenset[str]) -> Extras:
    seen: set[str] = set()
    for tag, value in extras:
        if len(tag) != 2 or not (tag.isascii() and tag.isdigit()):
            raise ValueError(f'extra tag "{tag}": not two digits')
        if tag in known or tag in seen:
            raise ValueError(f"extra tag {tag}: already a field of the code or repeated")
        if len(value) > MAX_TEMPLATE_CHARS:
            raise ValueError(f"extra tag {tag}: {len(value)} characters, over 99")
        if not value.isprintable() or "\ud800" <= max(value, default=" ") <= "\udfff":
            raise ValueError(f"extra tag {tag} {value!r}: not printable text")
        seen.add(tag)
    return tuple(sorted(extras))


def _template_chars(*values: tuple[str, str | None]) -> int:
    return sum(4 + len(v) for _, v in values if v is not None)


class VietQR(BaseModel):
    """A NAPAS VietQR code. ``amount`` is whole đồng; optional texts are None when absent.

    ``extra_tags`` (top level), ``extra_napas`` (inside tag 38) and ``extra_additional`` (inside
    tag 62) keep tags this model does not name, as ``(tag, value)`` pairs sorted by tag, so a
    parsed code is re-emitted with them unchanged.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    bin: str
    account: str
    service_code: str = SERVICE_ACCOUNT
    amount: int | None = None
    merchant_name: str = ""
    merchant_city: str = ""
    mcc: str | None = None
    bill_number: str | None = None
    reference: str | None = None
    terminal: str | None = None
    purpose: str | None = None
    point_of_initiation: Literal["static", "dynamic"] = "static"
    extra_tags: Extras = ()
    extra_napas: Extras = ()
    extra_additional: Extras = ()

    @model_validator(mode="before")
    @classmethod
    def _default_initiation(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("point_of_initiation") is None:
            data = dict(data)
            data["point_of_initiation"] = "static" if data.get("amount") is None else "dynamic"
        return data

    @field_validator("bin")
    @classmethod
    def _bin(cls, value: str) -> str:
        if len(value) != BIN_DIGITS or not (value.isascii() and value.isdigit()):
            raise ValueError(f'"{value}": not {BIN_DIGITS} digits')
        return value

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        if not value:
            raise ValueError('"": empty')
        if not (value.isascii() and value.isalnum()):
            raise ValueError(f'"{value}": not letters and digits')
        return _check_text(value, MAX_ACCOUNT_CHARS)

    @field_validator("service_code")
    @classmethod
    def _service(cls, value: str) -> str:
        if value not in SERVICE_CODES:
            raise ValueError(f'"{value}": not one of {", ".join(sorted(SERVICE_CODES))}')
        return value

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: int | None) -> int | None:
        if value is not None and not 0 < value <= MAX_AMOUNT_DONG:
            raise ValueError(f'"{value}": not a positive amount of at most 13 digits')
        return value

    @field_validator("mcc")
    @classmethod
    def _mcc(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 4 or not (value.isascii() and value.isdigit())):
            raise ValueError(f'"{value}": not 4 digits')
        return value

    @field_validator(
        "merchant_name",
        "merchant_city",
        "bill_number",
        "reference",
        "terminal",
        "purpose",
        mode="before",
    )
    @classmethod
    def _strip(cls, value: object) -> object:
        return _clean_text(value)

    @field_validator("merchant_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_text(value, MAX_MERCHANT_NAME_CHARS)

    @field_validator("merchant_city")
    @classmethod
    def _city(cls, value: str) -> str:
        return _check_text(value, MAX_MERCHANT_CITY_CHARS)

    @field_validator("mcc", "bill_number", "reference", "terminal", "purpose", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("bill_number", "reference", "terminal", "purpose")
    @classmethod
    def _additional(cls, value: str | None) -> str | None:
        return None if value is None else _check_text(value, MAX_TEMPLATE_CHARS - 4)

    @field_validator("extra_tags")
    @classmethod
    def _extra_top(cls, value: Extras) -> Extras:
        return _check_extras(value, KNOWN_TOP_TAGS)

    @field_validator("extra_napas")
    @classmethod
    def _extra_napas(cls, value: Extras) -> Extras:
        return _check_extras(value, KNOWN_NAPAS_TAGS)

    @field_validator("extra_additional")
    @classmethod
    def _extra_additional(cls, value: Extras) -> Extras:
        return _check_extras(value, KNOWN_ADDITIONAL_TAGS)

    @model_validator(mode="after")
    def _templates_fit(self) -> VietQR:
        beneficiary = _template_chars(("00", self.bin), ("01", self.account))
        napas = _template_chars(
            ("00", NAPAS_GUID),
            ("01", "x" * beneficiary),
            ("02", self.service_code),
            *self.extra_napas,
        )
        if napas > MAX_TEMPLATE_CHARS:
            raise ValueError(f"tag 38 would be {napas} characters, over {MAX_TEMPLATE_CHARS}")
        additional = _template_chars(
            ("01", self.bill_number),
            ("05", self.reference),
            ("07", self.terminal),
            ("08", self.purpose),
            *self.extra_additional,
        )
        if additional > MAX_TEMPLATE_CHARS:
            raise ValueError(f"tag 62 would be {additional} characters, over {MAX_TEMPLATE_CHARS}")
        return self
