"""VietQR payloads: golden vectors, every strict rule, lenient mode, round trips.

Sources of the golden payloads:
- NAPAS_EXAMPLE: the dynamic Vietcombank example in shared/reference/vietqr.md (public material
  quoted there; its CRC checks).
- The CRC check value "123456789" -> 29B1 is the CRC-16/CCITT-FALSE catalogue entry (reveng).
- Other valid payloads are the NAPAS example's structure rebuilt field by field with a fresh CRC;
  the corrupted ones change one thing each, as listed in vietqr.md "What a strict parser rejects".
"""

from __future__ import annotations

import contextlib
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qr
from qr.crc import crc16, crc16_reference, crc_hex
from qr.fastparse import parse_fast

NAPAS_EXAMPLE = (
    "00020101021238540010A00000072701240006970436011010234567890208QRIBFTTA5303704"
    "540719430005802VN62120808TT0000696304A8E5"
)


def with_crc(body: str) -> str:
    """``body`` (ending before tag 63) with a correct CRC appended."""
    return body + "6304" + crc_hex(body + "6304")


def tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def napas(bin: str = "970405", account: str = "123456789", service: str = "QRIBFTTA") -> str:
    beneficiary = tlv("00", bin) + tlv("01", account)
    return tlv("38", tlv("00", "A000000727") + tlv("01", beneficiary) + tlv("02", service))


STATIC_AGRIBANK = with_crc("000201010211" + napas() + "5303704" + "5802VN")


def test_crc_check_value_and_table_agree() -> None:
    assert crc16(b"123456789") == 0x29B1
    assert crc16_reference(b"123456789") == 0x29B1


@given(st.binary(max_size=200))
@settings(max_examples=200)
def test_fast_crc_equals_table_crc(data: bytes) -> None:
    assert crc16(data) == crc16_reference(data)


def test_napas_example_parses_to_its_fields_and_rebuilds_identically() -> None:
    code = qr.parse(NAPAS_EXAMPLE)
    assert (code.bin, code.account, code.amount) == ("970436", "1023456789", 1_943_000)
    assert code.purpose == "TT000069"
    assert code.point_of_initiation == "dynamic"
    assert code.service_code == "QRIBFTTA"
    assert qr.build(code) == NAPAS_EXAMPLE
    assert qr.network_of(NAPAS_EXAMPLE) == "vietqr"


def test_static_code_has_no_amount_and_card_service_is_kept() -> None:
    assert qr.parse(STATIC_AGRIBANK).point_of_initiation == "static"
    card = with_crc("000201010211" + napas(account="9704051234567890", service="QRIBFTTC")
                    + "53037045802VN")  # fmt: skip
    assert qr.parse(card).service_code == "QRIBFTTC"


def test_lower_case_crc_is_accepted() -> None:
    assert qr.parse(NAPAS_EXAMPLE[:-4] + "a8e5") == qr.parse(NAPAS_EXAMPLE)


def test_build_strips_diacritics_from_texts() -> None:
    code = qr.VietQR(
        bin="970405", account="1", amount=5, purpose="Mua rau cải", merchant_name="Đào"
    )
    assert code.purpose == "Mua rau cai"
    assert "0811Mua rau cai" in qr.build(code)
    assert qr.strip_diacritics("Chợ Đại Từ, đường Ắ") == "Cho Dai Tu, duong A"


def test_amount_with_trailing_dot_or_zero_fraction_is_whole_dong() -> None:
    for amount in ("50000.", "50000.0", "50000.00"):
        text = with_crc("000201010212" + napas() + "5303704" + tlv("54", amount) + "5802VN")
        assert qr.parse(text).amount == 50_000


CORRUPTIONS = [
    ("63", NAPAS_EXAMPLE[:-4] + "A8E6", "does not match"),
    ("63", NAPAS_EXAMPLE[:-8], "missing or not last"),
    ("63", NAPAS_EXAMPLE + "00", "missing or not last"),
    ("63", NAPAS_EXAMPLE[:-4] + "A8G5", "not 4 hex digits"),
    ("00", with_crc("000202010211" + napas() + "53037045802VN"), '"02"'),
    ("01", with_crc("000201010213" + napas() + "53037045802VN"), '"13"'),
    ("38", with_crc("000201010211" + "53037045802VN"), "missing"),
    ("53", with_crc("000201010211" + napas() + "53038405802VN"), '"840"'),
    ("53", with_crc("000201010211" + napas() + "5802VN"), "missing"),
    ("58", with_crc("000201010211" + napas() + "53037045802TH"), '"TH"'),
    ("38-01-00", with_crc("000201010211" + napas(bin="97040") + "53037045802VN"), "not 6 digits"),
    ("38-01-01", with_crc("000201010211" + napas(account="") + "53037045802VN"), "empty"),
    ("38-01-01", with_crc("000201010211" + napas(account="1" * 20) + "53037045802VN"), "over 19"),
    ("38-02", with_crc("000201010211" + napas(service="QRXXXX") + "53037045802VN"), "QRXXXX"),
    ("54", with_crc("000201010212" + napas() + "5303704" + "540312a" + "5802VN"), "not digits"),
    ("54", with_crc("000201010212" + napas() + "5303704" + "5404-100" + "5802VN"), "not digits"),
    ("54", with_crc("000201010212" + napas() + "5303704" + "54041.50" + "5802VN"), "whole"),
    ("54", with_crc("000201010212" + napas() + "5303704" + "54010" + "5802VN"), "not positive"),
    (
        "54",
        with_crc("000201010212" + napas() + "5303704" + tlv("54", "1" * 14) + "5802VN"),
        "over 13",
    ),
    ("59", with_crc("000201010211" + napas() + "53037045802VN" + tlv("59", "A" * 26)), "over 25"),
    ("60", with_crc("000201010211" + napas() + "53037045802VN" + tlv("60", "H" * 16)), "over 15"),
    ("01", with_crc("000201010211010211" + napas() + "53037045802VN"), "repeated"),
]


@pytest.mark.parametrize(("tag", "text", "words"), CORRUPTIONS)
def test_strict_parse_rejects_and_names_the_tag(tag: str, text: str, words: str) -> None:
    with pytest.raises(qr.PayloadError) as caught:
        qr.parse(text)
    assert caught.value.tag == tag
    assert words in caught.value.message
    assert f"tag {tag}" in caught.value.message or (tag == "63" and "CRC" in caught.value.message)


def test_amount_error_message_names_tag_and_value() -> None:
    text = with_crc("000201010212" + napas() + "5303704" + "540312a" + "5802VN")
    with pytest.raises(qr.PayloadError, match=r'^tag 54 \(amount\) "12a": not digits$'):
        qr.parse(text)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        (with_crc("0002010102113899"), "38"),  # length overruns the data
        (with_crc("00020101021138ab"), "38"),  # non-digit length
        (with_crc("00020101021138"), "38"),  # truncated before the length
        ("000201010", "63"),  # truncated
        ("", "63"),
    ],
)
def test_broken_structure_is_rejected(text: str, tag: str) -> None:
    with pytest.raises(qr.PayloadError) as caught:
        qr.parse(text)
    assert caught.value.tag == tag


def test_length_field_not_matching_its_value_is_rejected() -> None:
    text = with_crc("000201010211" + "3860" + napas()[4:] + "53037045802VN")
    with pytest.raises(qr.PayloadError) as caught:
        qr.parse(text)  # tag 38 claims 60 characters and swallows 53 and 58
    assert caught.value.tag == "53"


def test_unknown_tags_are_kept_and_reemitted_unchanged() -> None:
    wallet = tlv("26", tlv("00", "A000000775") + tlv("01", "MERCHANT01"))
    text = with_crc(
        "000201010211" + wallet + napas() + "53037045802VN" + tlv("62", tlv("03", "STALL12"))
        + "6400" + tlv("80", "not tlv at all") + "9100"
    )  # fmt: skip
    code = qr.parse(text)
    assert dict(code.extra_tags) == {"26": wallet[4:], "64": "", "80": "not tlv at all", "91": ""}
    assert code.extra_additional == (("03", "STALL12"),)
    assert qr.build(code) == text


def test_lenient_reports_problems_and_keeps_the_data() -> None:
    text = with_crc("000201010212" + napas() + "53038405802VN")  # dynamic, no amount, USD
    with pytest.raises(qr.PayloadError):
        qr.parse(text)
    report = qr.parse_lenient(text)
    assert report.code is not None
    assert report.code.account == "123456789"
    assert [(p.tag, p.severity) for p in report.problems] == [("53", "error"), ("54", "warning")]
    assert report.network == "vietqr"


def test_lenient_drops_only_the_broken_field() -> None:
    text = with_crc("000201010211" + napas() + "53037045802VN" + tlv("59", "A" * 30))
    report = qr.parse_lenient(text)
    assert report.code is not None
    assert report.code.merchant_name == ""
    assert report.errors[0].tag == "59"
    assert qr.parse(text, strict=False) == report.code


def test_lenient_static_code_with_amount_is_a_warning_only() -> None:
    text = with_crc("000201010211" + napas() + "5303704540510000" + "5802VN")
    report = qr.parse_lenient(text)
    assert report.errors == []
    assert report.problems[0].severity == "warning"
    assert qr.parse(text).amount == 10_000


def test_vnpay_code_is_recognised_not_parsed_as_vietqr() -> None:
    vnpay = with_crc(
        "000201010211" + tlv("26", tlv("00", "A000000775") + tlv("01", "0108796624"))
        + "52045812" + "5303704" + "5802VN" + tlv("59", "CUA HANG RAU") + tlv("60", "THAI NGUYEN")
    )  # fmt: skip
    assert qr.network_of(vnpay) == "vnpay"
    with pytest.raises(qr.PayloadError, match="network: vnpay") as caught:
        qr.parse(vnpay)
    assert caught.value.tag == "38"
    report = qr.parse_lenient(vnpay)
    assert report.code is None
    assert report.network == "vnpay"
    assert qr.network_of("hello") == "unknown"
    assert qr.network_of(with_crc("000201010211" + tlv("02", "4111111111111111"))) == "visa"


texts = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20
) | st.sampled_from(["Mua rau cải", "Chợ Đại Từ", "Bà Hoa"])
maybe_text = st.none() | texts


def _fits(fields: dict[str, object]) -> bool:
    """Drawn fields can overflow a template (tags 38/62 over 99 characters): skip those."""
    try:
        qr.VietQR.model_validate(fields)
    except pydantic.ValidationError:
        return False
    return True


_FIELDS: st.SearchStrategy[dict[str, Any]] = st.builds(
    dict,
    bin=st.from_regex(r"\A[0-9]{6}\Z"),
    account=st.from_regex(r"\A[0-9A-Z]{1,19}\Z"),
    service_code=st.sampled_from(["QRIBFTTA", "QRIBFTTC", "QRPUSH"]),
    amount=st.none() | st.integers(min_value=1, max_value=10**13 - 1),
    merchant_name=texts.map(lambda s: s[:25]),
    merchant_city=texts.map(lambda s: s[:15]),
    mcc=st.none() | st.from_regex(r"\A[0-9]{4}\Z"),
    bill_number=maybe_text,
    reference=maybe_text,
    terminal=maybe_text,
    purpose=maybe_text,
    point_of_initiation=st.none() | st.sampled_from(["static", "dynamic"]),
    extra_tags=st.lists(
        st.tuples(st.sampled_from(["26", "55", "61", "64", "80", "99"]), texts),
        unique_by=lambda t: t[0],
        max_size=3,
    ).map(tuple),
    extra_additional=st.lists(
        st.tuples(st.sampled_from(["02", "03", "09"]), texts), unique_by=lambda t: t[0], max_size=2
    ).map(tuple),
)
codes = _FIELDS.filter(_fits).map(qr.VietQR.model_validate)


@given(codes)
@settings(max_examples=300)
def test_parse_of_build_is_identity(code: qr.VietQR) -> None:
    text = qr.build(code)
    parsed = qr.parse(text)
    assert parsed == code
    # parse builds its result without pydantic's validation (it checked every field itself):
    # the result must be exactly what full validation makes of the same fields.
    assert qr.VietQR.model_validate(parsed.model_dump()) == parsed
    assert parsed.model_dump() == code.model_dump()
    assert qr.parse(text[:-4] + text[-4:].lower()) == code


@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
@settings(max_examples=300)
def test_parse_of_arbitrary_text_raises_only_payload_error(text: str) -> None:
    with contextlib.suppress(qr.PayloadError):
        qr.parse(text)
    report = qr.parse_lenient(text)
    assert report.code is None or isinstance(report.code, qr.VietQR)


@given(codes, st.integers(min_value=0, max_value=400), st.characters())
@settings(max_examples=300)
def test_mutated_payload_raises_only_payload_error(code: qr.VietQR, at: int, ch: str) -> None:
    text = qr.build(code)
    at %= len(text)
    mutated = text[:at] + ch + text[at + 1 :]
    with contextlib.suppress(qr.PayloadError):
        assert qr.parse(mutated) == code or mutated != text
    report = qr.parse_lenient(mutated)
    fast = parse_fast(mutated)
    if fast is not None:  # the fast path never accepts what the full parser finds broken
        assert not report.errors
        assert_same_model(fast, report.code)


@given(codes, st.integers(min_value=0, max_value=400), st.characters(max_codepoint=127))
@settings(max_examples=400)
def test_fast_path_rejects_what_the_full_parser_rejects(code: qr.VietQR, at: int, ch: str) -> None:
    """An ASCII change with the CRC made right again: only the TLV and field rules can catch it."""
    text = qr.build(code)
    at %= len(text) - 4
    body = text[:at] + ch + text[at + 1 : -4]
    mutated = body + crc_hex(body)
    fast = parse_fast(mutated)
    report = qr.parse_lenient(mutated)
    if fast is not None:
        assert not report.errors
        assert_same_model(fast, report.code)


def assert_same_model(fast: qr.VietQR, full: qr.VietQR | None) -> None:
    assert full is not None
    assert fast == full
    assert list(fast.__dict__.items()) == list(full.__dict__.items())
    assert fast.model_fields_set == full.model_fields_set
    assert hash(fast) == hash(full)


@given(codes)
@settings(max_examples=200)
def test_fast_path_equals_the_full_parser(code: qr.VietQR) -> None:
    text = qr.build(code)
    fast = parse_fast(text)
    if code.extra_tags or code.extra_additional or not text.isascii():
        assert fast is None  # left to the full parser
    else:  # every other code that build makes is read by the fast path
        assert fast is not None
        assert_same_model(fast, qr.parse_lenient(text).code)


def test_fast_path_reads_the_typical_sticker_and_amount_codes() -> None:
    for amount in (None, 25_000, 1_250_000):
        code = qr.VietQR(bin="970405", account="0123456789", amount=amount, purpose="MP0001")
        fast = parse_fast(qr.build(code))
        assert fast == code
        assert_same_model(fast, qr.parse_lenient(qr.build(code)).code)
    assert parse_fast(NAPAS_EXAMPLE) == qr.parse_lenient(NAPAS_EXAMPLE).code


def test_describe_has_the_contract_keys() -> None:
    assert tuple(qr.describe(qr.parse(NAPAS_EXAMPLE))) == qr.DESCRIBE_KEYS
