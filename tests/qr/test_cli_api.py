"""The ``marketpay qr`` contract and ``/api/v1/qr`` over the same functions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import qr
from merchant_app.app import create_app
from merchant_app.cli import main
from merchant_app.settings import load_settings

NAPAS_EXAMPLE = (
    "00020101021238540010A00000072701240006970436011010234567890208QRIBFTTA5303704"
    "540719430005802VN62120808TT0000696304A8E5"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_parse_json_valid_has_exactly_the_contract_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "qr", "parse", NAPAS_EXAMPLE, "--json")
    body = json.loads(out)
    assert code == 0
    assert tuple(body) == qr.DESCRIBE_KEYS
    assert body["bank"] == "Vietcombank"
    assert body["amount"] == 1_943_000
    assert body["crc"] == "A8E5"


def test_parse_json_invalid_exits_1_with_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "qr", "parse", NAPAS_EXAMPLE[:-4] + "0000", "--json")
    assert code == 1
    body = json.loads(out)
    assert body["valid"] is False
    assert body["errors"][0]["tag"] == "63"
    assert "CRC" in body["errors"][0]["message"]


def test_parse_lenient_lists_problems(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "qr", "parse", NAPAS_EXAMPLE[:-4] + "0000", "--lenient", "--json")
    body = json.loads(out)
    assert code == 1
    assert body["account"] == "1023456789"
    assert body["problems"][0]["tag"] == "63"


def test_encode_text_then_parse_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys,
        "qr",
        "encode",
        "--bin",
        "970405",
        "--account",
        "123456789",
        "--amount",
        "50000",
        "--purpose",
        "Mua rau cải",
        "--name",
        "Bà Hoa",
    )
    assert code == 0
    parsed = qr.parse(out.strip())
    assert (parsed.amount, parsed.purpose, parsed.merchant_name) == (
        50_000,
        "Mua rau cai",
        "Ba Hoa",
    )


def test_encode_bad_bin_exits_2_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "x.png"
    code = main(
        ["qr", "encode", "--bin", "97040", "--account", "1", "--format", "png", "-o", str(target)]
    )
    assert code == 2
    assert "not 6 digits" in capsys.readouterr().err
    assert not target.exists()


def test_encode_png_then_scan_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png = tmp_path / "code.png"
    blank = tmp_path / "blank.png"
    assert (
        main(
            [
                "qr",
                "encode",
                "--bin",
                "970415",
                "--account",
                "100872",
                "--format",
                "png",
                "-o",
                str(png),
            ]
        )
        == 0
    )
    blank.write_bytes(qr.render_png("x")[:0] or b"")  # empty file: an unreadable image
    code, out = run(capsys, "qr", "scan", str(png), "--json")
    line = json.loads(out)
    assert code == 0
    assert line["file"] == str(png)
    assert qr.parse(line["payloads"][0]).account == "100872"
    code, out = run(capsys, "qr", "scan", str(png), str(blank), "--json")
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 1
    assert [bool(x["payloads"]) for x in lines] == [True, False]


def test_sticker_and_sheet_write_pdfs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    one = tmp_path / "one.pdf"
    assert (
        main(
            [
                "qr",
                "sticker",
                "--bin",
                "970405",
                "--account",
                "123456789",
                "--name",
                "Bà Hoa",
                "--market",
                "Chợ Đại Từ",
                "--stall",
                "12",
                "-o",
                str(one),
            ]
        )
        == 0
    )
    assert one.read_bytes().startswith(b"%PDF")
    sheet_csv = tmp_path / "market.csv"
    sheet_csv.write_text(
        "bin,account,name,stall\n970405,1111,Cô Lan,1\n970418,2222,Chú Tâm,2\n", encoding="utf-8"
    )
    sheet = tmp_path / "sheet.pdf"
    assert main(["qr", "sticker", "--sheet", str(sheet_csv), "-o", str(sheet)]) == 0
    assert sheet.read_bytes().startswith(b"%PDF")
    assert (
        main(
            [
                "qr",
                "sticker",
                "--bin",
                "123456",
                "--account",
                "1",
                "--name",
                "X",
                "-o",
                str(tmp_path / "bad.pdf"),
            ]
        )
        == 2
    )
    assert "not in the bank directory" in capsys.readouterr().err


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    app = create_app(load_settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/a.db"))
    return TestClient(app)


def test_api_parse_matches_cli_shape(client: TestClient) -> None:
    response = client.post("/api/v1/qr/parse", json={"payload": NAPAS_EXAMPLE})
    assert response.status_code == 200
    assert response.json() == qr.describe(qr.parse(NAPAS_EXAMPLE), crc="A8E5")
    bad = client.post("/api/v1/qr/parse", json={"payload": "000201"})
    assert bad.json()["valid"] is False


def test_api_encode_and_scan_round_trip(client: TestClient) -> None:
    response = client.post(
        "/api/v1/qr/encode",
        json={"bin": "970436", "account": "1023456789", "amount": 20000, "format": "png"},
    )
    assert response.status_code == 200
    body = response.json()
    import base64

    png = base64.b64decode(body["image"])
    scanned = client.post("/api/v1/qr/scan", files={"image": ("c.png", png, "image/png")})
    assert scanned.status_code == 200
    assert scanned.json()["payloads"] == [body["payload"]]


def test_api_errors_are_422_with_the_error_shape(client: TestClient) -> None:
    bad_bin = client.post("/api/v1/qr/encode", json={"bin": "12", "account": "1"})
    assert bad_bin.status_code == 422
    assert bad_bin.json()["error"] == "qr_payload_invalid"
    junk = client.post("/api/v1/qr/scan", files={"image": ("x.png", b"junk", "image/png")})
    assert junk.status_code == 422
    assert junk.json() == {"error": "qr_scan_failed", "message": junk.json()["message"]}
    assert "not an image" in junk.json()["message"]
