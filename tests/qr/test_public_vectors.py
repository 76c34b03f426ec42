"""Golden payloads published by other VietQR implementations, parsed and rebuilt byte for byte.

Sources (public repositories, read November 2026):
- subiz/vietqr, README.md: the Go library's example, 120.000 đ to VietinBank 0011001932418,
  memo "ung ho lu lut" (from "ủng hộ lũ lụt").
- ChainPlatform/vietnam-qr-pay, README.md: a static ACB code and a dynamic one with
  10.000 đ and purpose "Chuyen tien" (its prose says MBBank; the payload itself is ACB 970416).
- A public vietqr-ts test file that quotes "NAPAS IBFT v1.5.2, qr_format line 925" as a static
  example: its tag 38-01 declares 27 characters but holds 26 plus a stray "8" (account length
  written as 12 for a 13-digit account), so a strict parser must reject it and name 38-01.
The NAPAS example in shared/reference/vietqr.md is covered in test_payload.py.
"""

from __future__ import annotations

import pytest

from qr import QRError, build, describe, parse, parse_lenient

VALID = {
    "subiz_vietqr_readme": (
        "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA"
        "530370454061200005802VN62170813ung ho lu lut6304C15C",
        {
            "bin": "970415",
            "bank": "VietinBank",
            "account": "0011001932418",
            "amount": 120000,
            "purpose": "ung ho lu lut",
            "point_of_initiation": "dynamic",
            "crc": "C15C",
        },
    ),
    "chainplatform_static_acb": (
        "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA"
        "53037045802VN6304AE9F",
        {
            "bin": "970416",
            "bank": "ACB",
            "account": "257678859",
            "amount": None,
            "purpose": None,
            "point_of_initiation": "static",
            "crc": "AE9F",
        },
    ),
    "chainplatform_dynamic_acb": (
        "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA"
        "53037045405100005802VN62150811Chuyen tien630453E6",
        {
            "bin": "970416",
            "bank": "ACB",
            "account": "257678859",
            "amount": 10000,
            "purpose": "Chuyen tien",
            "point_of_initiation": "dynamic",
            "crc": "53E6",
        },
    ),
}

MALFORMED_NAPAS_QUOTE = (
    "00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5"
)


@pytest.mark.parametrize("name", sorted(VALID))
def test_published_payload_parses_to_its_fields_and_rebuilds_exactly(name: str) -> None:
    payload, expected = VALID[name]
    code = parse(payload)
    described = describe(code)
    for key, value in expected.items():
        assert described[key] == value, key
    assert described["network"] == "vietqr"
    assert build(code) == payload


@pytest.mark.parametrize("name", sorted(VALID))
def test_published_payload_with_one_changed_digit_is_rejected(name: str) -> None:
    payload, _ = VALID[name]
    position = payload.index("5303704") - 2  # a digit of the account number
    digit = "1" if payload[position] != "1" else "2"
    tampered = payload[:position] + digit + payload[position + 1 :]
    with pytest.raises(QRError, match="63"):
        parse(tampered)


def test_malformed_quote_of_the_napas_example_is_rejected_naming_tag_38_01() -> None:
    with pytest.raises(QRError, match="38-01"):
        parse(MALFORMED_NAPAS_QUOTE)
    report = parse_lenient(MALFORMED_NAPAS_QUOTE)
    assert any("38-01" in problem.message for problem in report.problems)
