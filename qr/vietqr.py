"""Build and parse VietQR payloads (EMVCo MPM as profiled by NAPAS).

``parse`` is strict: the first broken rule raises ``PayloadError`` naming the tag. ``parse_lenient``
applies the same rules but collects them as ``Problem`` values and returns whatever it could read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from qr import tlv
from qr.crc import crc_hex
from qr.errors import PayloadError
from qr.fastparse import parse_fast
from qr.model import (
    COUNTRY_VN,
    CURRENCY_VND,
    FIELD_TAGS,
    KNOWN_ADDITIONAL_TAGS,
    KNOWN_NAPAS_TAGS,
    KNOWN_TOP_TAGS,
    MAX_AMOUNT_CHARS,
    NAPAS_GUID,
    VietQR,
    label,
)
from qr.networks import network_of, network_of_fields

MAX_PAYLOAD_CHARS = 512  # a version-40 QR holds more, but no payment code comes near this
CRC_SUFFIX_CHARS = 8  # "6304" + 4 hex digits
_INITIATION = {"11": "static", "12": "dynamic"}
_INITIATION_CODE = {"static": "11", "dynamic": "12"}
_HEX = frozenset("0123456789abcdefABCDEF")

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    tag: str
    message: str
    severity: Severity = "error"


@dataclass(frozen=True)
class ParseReport:
    """What lenient parsing read: ``code`` (None when no VietQR could be made), the ``network``
    the code belongs to, every problem found, and the top-level tags as read."""

    code: VietQR | None
    network: str
    problems: list[Problem]
    crc: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class _Issues:
    """Strict mode raises on the first error; lenient mode collects everything."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.items: list[Problem] = []

    def error(self, tag: str, message: str) -> None:
        if self.strict:
            raise PayloadError(message, tag=tag)
        self.items.append(Problem(tag, message))

    def warn(self, tag: str, message: str) -> None:
        if not self.strict:
            self.items.append(Problem(tag, message, "warning"))


def build(code: VietQR) -> str:
    """The payload text of ``code``: tags in ascending order, CRC last, upper-case hex."""
    beneficiary = tlv.join([tlv.Field("00", code.bin), tlv.Field("01", code.account)])
    napas = [tlv.Field("00", NAPAS_GUID), tlv.Field("01", beneficiary)]
    napas.append(tlv.Field("02", code.service_code))
    napas += [tlv.Field(t, v) for t, v in code.extra_napas]
    additional = [
        tlv.Field(tag, value)
        for tag, value in (
            ("01", code.bill_number),
            ("05", code.reference),
            ("07", code.terminal),
            ("08", code.purpose),
        )
        if value is not None
    ]
    additional += [tlv.Field(t, v) for t, v in code.extra_additional]
    top = [
        tlv.Field("00", "01"),
        tlv.Field("01", _INITIATION_CODE[code.point_of_initiation]),
        tlv.Field("38", tlv.join(sorted(napas, key=_tag))),
        tlv.Field("53", CURRENCY_VND),
        tlv.Field("58", COUNTRY_VN),
    ]
    optional = (
        ("52", code.mcc),
        ("54", None if code.amount is None else str(code.amount)),
        ("59", code.merchant_name or None),
        ("60", code.merchant_city or None),
        ("62", tlv.join(sorted(additional, key=_tag)) if additional else None),
    )
    top += [tlv.Field(tag, value) for tag, value in optional if value is not None]
    top += [tlv.Field(t, v) for t, v in code.extra_tags]
    body = tlv.join(sorted(top, key=_tag)) + "6304"
    return body + crc_hex(body)


def _tag(f: tlv.Field) -> str:
    return f.tag


def parse(text: str, *, strict: bool = True) -> VietQR:
    """Read a VietQR payload. Strict (default) raises ``PayloadError`` on any broken rule;
    ``strict=False`` returns the code lenient parsing could make, or raises if it made none."""
    if strict:
        code = parse_fast(text)  # the common well-formed payload, ~10x faster
        if code is not None:
            return code
        code = _parse(text, _Issues(strict=True))[0]
        assert code is not None  # strict mode raises instead of returning nothing
        return code
    report = parse_lenient(text)
    if report.code is None:
        first = report.errors[0]
        raise PayloadError(first.message, tag=first.tag)
    return report.code


def parse_lenient(text: str) -> ParseReport:
    """Read what can be read; every rule broken or oddity seen is a ``Problem``."""
    issues = _Issues(strict=False)
    try:
        code, crc, fields = _parse(text, issues)
    except PayloadError as exc:  # structure too broken to go on
        issues.items.append(Problem(exc.tag, exc.message))
        return ParseReport(None, _safe_network(text), issues.items)
    return ParseReport(code, network_of_fields(fields), issues.items, crc, fields)


def _safe_network(text: object) -> str:
    return network_of(text) if isinstance(text, str) else "unknown"


def _parse(text: str, issues: _Issues) -> tuple[VietQR | None, str, dict[str, str]]:
    if not isinstance(text, str):
        raise PayloadError(f"payload must be text, not {type(text).__name__}")
    if len(text) > MAX_PAYLOAD_CHARS:
        raise PayloadError(f"payload of {len(text)} characters is over {MAX_PAYLOAD_CHARS}")
    if not issues.strict and text != text.strip():
        issues.warn("", "surrounding whitespace removed")
        text = text.strip()
    crc = _check_crc(text, issues)
    fields = _split_unique(text, "", issues)
    _check_header(fields, issues)
    if "38" not in fields:
        network = network_of_fields(fields)
        raise PayloadError(
            f"{label('38')} missing: not a VietQR code (network: {network})", tag="38"
        )
    values = _read_napas(fields["38"], issues)
    values.update(_read_top(fields, issues))
    if "62" in fields:
        values.update(_read_additional(fields["62"], issues))
    return _make_code(values, issues), crc, fields


def _check_crc(text: str, issues: _Issues) -> str:
    tail = text[-CRC_SUFFIX_CHARS:]
    if len(text) < CRC_SUFFIX_CHARS or tail[:4] != "6304":
        raise PayloadError(f"{label('63')} missing or not last: payload ends {tail!r}", tag="63")
    given = tail[4:]
    if not all(ch in _HEX for ch in given):
        raise PayloadError(f'{label("63")} "{given}": not 4 hex digits', tag="63")
    try:
        expected = crc_hex(text[:-4])
    except UnicodeEncodeError as exc:  # lone surrogates: not text a QR code can carry
        raise PayloadError(f"payload is not valid Unicode text: {exc.reason}", tag="63") from exc
    if given.upper() != expected:
        message = f'{label("63")} "{given}": does not match the data (expected {expected})'
        issues.error("63", message)
    return given.upper()


def _split_unique(text: str, where: str, issues: _Issues) -> dict[str, str]:
    prefix = f"inside tag {where}: " if where else ""
    fields: dict[str, str] = {}
    for tag, value in tlv.split_pairs(text, where=prefix):
        if tag in fields:
            issues.error(f"{where}-{tag}".lstrip("-"), f"{prefix}tag {tag} repeated")
            continue
        fields[tag] = value
    return fields


def _check_header(fields: dict[str, str], issues: _Issues) -> None:
    first = next(iter(fields), None)
    if fields.get("00") != "01" or first != "00":
        issues.error("00", f'{label("00")} "{fields.get("00", "")}": must come first and be "01"')
    if fields.get("01") not in _INITIATION:
        issues.error("01", f'{label("01")} "{fields.get("01", "")}": not "11" or "12"')
    for tag, want in (("53", CURRENCY_VND), ("58", COUNTRY_VN)):
        if tag not in fields:
            issues.error(tag, f"{label(tag)} missing")
        elif fields[tag] != want:
            issues.error(tag, f'{label(tag)} "{fields[tag]}": VietQR needs "{want}"')


def _read_napas(value: str, issues: _Issues) -> dict[str, Any]:
    napas = _split_unique(value, "38", issues)
    if napas.get("00") != NAPAS_GUID:
        issues.error("38-00", f'{label("38-00")} "{napas.get("00", "")}": not "{NAPAS_GUID}"')
    beneficiary = _split_unique(napas.get("01", ""), "38-01", issues)
    for sub in ("00", "01"):
        if sub not in beneficiary:
            issues.error(f"38-01-{sub}", f"{label('38-01-' + sub)} missing")
    for sub in sorted(set(beneficiary) - {"00", "01"}):
        issues.error(f"38-01-{sub}", f"tag 38-01-{sub}: not part of the beneficiary template")
    if "02" not in napas:
        issues.error("38-02", f"{label('38-02')} missing")
    extras = tuple((t, v) for t, v in napas.items() if t not in KNOWN_NAPAS_TAGS)
    return {
        "bin": beneficiary.get("00", ""),
        "account": beneficiary.get("01", ""),
        "service_code": napas.get("02", ""),
        "extra_napas": extras,
    }


def _read_top(fields: dict[str, str], issues: _Issues) -> dict[str, Any]:
    initiation = _INITIATION.get(fields.get("01", ""), "static")
    amount = _read_amount(fields["54"], issues) if "54" in fields else None
    if initiation == "dynamic" and "54" not in fields:
        issues.warn("54", f"{label('01')} is dynamic but {label('54')} is missing")
    if initiation == "static" and "54" in fields:
        issues.warn("54", f"{label('01')} is static but carries {label('54')}")
    extras = tuple((t, v) for t, v in fields.items() if t not in KNOWN_TOP_TAGS)
    for tag, _ in extras:
        issues.warn(tag, f"tag {tag}: not a VietQR tag, kept as is")
    return {
        "point_of_initiation": initiation,
        "amount": amount,
        "mcc": fields.get("52"),
        "merchant_name": fields.get("59", ""),
        "merchant_city": fields.get("60", ""),
        "extra_tags": extras,
    }


def _read_amount(text: str, issues: _Issues) -> int | None:
    """Whole đồng: digits, at most one '.', and any fraction all zeros ("50000." is 50000)."""
    where = label("54")
    whole, dot, fraction = text.partition(".")
    problem = None
    if len(text) > MAX_AMOUNT_CHARS:
        problem = f"{len(text)} characters, over {MAX_AMOUNT_CHARS}"
    elif not (whole.isascii() and whole.isdigit()) or (fraction and not fraction.isdigit()):
        problem = "not digits"
    elif fraction.strip("0"):
        problem = "not a whole number of dong"
    elif int(whole) == 0:
        problem = "not positive"
    if problem is not None:
        issues.error("54", f'{where} "{text}": {problem}')
        return None
    del dot
    return int(whole)


def _read_additional(value: str, issues: _Issues) -> dict[str, Any]:
    additional = _split_unique(value, "62", issues)
    extras = tuple((t, v) for t, v in additional.items() if t not in KNOWN_ADDITIONAL_TAGS)
    return {
        "bill_number": additional.get("01"),
        "reference": additional.get("05"),
        "terminal": additional.get("07"),
        "purpose": additional.get("08"),
        "extra_additional": extras,
    }


def _make_code(values: dict[str, Any], issues: _Issues) -> VietQR | None:
    try:
        return VietQR.model_validate(values)
    except ValidationError as exc:
        broken = _field_problems(exc)
    for name, message in broken:
        issues.error(FIELD_TAGS.get(name, ""), message)
    for name, _ in broken:  # lenient: drop what is broken and keep the rest
        values.pop(name, None)
    try:
        return VietQR.model_validate(values)
    except ValidationError:
        return None


def _field_problems(exc: ValidationError) -> list[tuple[str, str]]:
    found = []
    for item in exc.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        message = str(item["msg"]).removeprefix("Value error, ")
        tag = FIELD_TAGS.get(name, "")
        found.append((name, f"{label(tag)} {message}" if tag else message))
    return found
