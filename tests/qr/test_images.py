"""PNG, SVG and sticker PDFs decode back to the same payload through pyzbar (PDFs via pdftoppm)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

import qr
from qr.sticker import mask_account

NAPAS_EXAMPLE = (
    "00020101021238540010A00000072701240006970436011010234567890208QRIBFTTA5303704"
    "540719430005802VN62120808TT0000696304A8E5"
)


def payload_for(account: str) -> str:
    return qr.build(qr.VietQR(bin="970405", account=account, merchant_name="Ba Hoa"))


def info_for(account: str, name: str = "Bà Nguyễn Thị Hoa") -> qr.StickerInfo:
    return qr.StickerInfo(
        payload=payload_for(account),
        vendor_name=name,
        bank_short_name="Agribank",
        account=account,
        market="Chợ Đại Từ",
        stall="Sạp 12",
    )


def pdf_pages_decoded(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    source = tmp_path / "in.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "110", "-png", str(source), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    return [sorted(s.data.decode() for s in decode(Image.open(p))) for p in pages]


def pdf_info(pdf: bytes, tmp_path: Path) -> tuple[int, str, str]:
    """(pages, page size line, text) from poppler's pdfinfo and pdftotext."""
    source = tmp_path / "info.pdf"
    source.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(source)], check=True, capture_output=True, text=True)
    fields = dict(line.split(":", 1) for line in info.stdout.splitlines() if ":" in line)
    text = subprocess.run(
        ["pdftotext", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout
    return int(fields["Pages"]), fields["Page size"].strip(), text


def test_png_decodes_to_the_payload() -> None:
    png = qr.render_png(NAPAS_EXAMPLE, scale=4)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert [s.data.decode() for s in decode(image)] == [NAPAS_EXAMPLE]


def test_svg_rasterised_decodes_to_the_payload(tmp_path: Path) -> None:
    svg = qr.render_svg(NAPAS_EXAMPLE)
    assert svg.startswith("<?xml")
    # Rasterise the SVG's own path data (our renderer emits only axis-aligned unit rectangles).
    import re

    side = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))  # type: ignore[union-attr]
    image = Image.new("L", (side, side), 255)
    for x, y, w in re.findall(r"M(\d+),(\d+)h(\d+)", svg):
        image.paste(0, (int(x), int(y), int(x) + int(w), int(y) + 1))
    image = image.resize((side * 6, side * 6), Image.Resampling.NEAREST)
    assert [s.data.decode() for s in decode(image)] == [NAPAS_EXAMPLE]


def test_render_rejects_bad_input() -> None:
    with pytest.raises(qr.RenderError, match="empty"):
        qr.render_png("")
    with pytest.raises(qr.RenderError, match="scale 0"):
        qr.render_png(NAPAS_EXAMPLE, scale=0)
    with pytest.raises(qr.RenderError, match="over 512"):
        qr.render_svg("0" * 513)


def test_a6_sticker_page_scans_back_and_prints_vietnamese(tmp_path: Path) -> None:
    info = info_for("0123456789")
    pdf = qr.sticker_pdf(info)
    pages, size, text = pdf_info(pdf, tmp_path)
    assert pages == 1
    assert size.startswith("297.638 x 419.528")  # A6 in points
    for expected in (
        "Quét mã để thanh toán",
        "Bà Nguyễn Thị Hoa",
        "Agribank",
        "••••6789",
        "Chợ Đại Từ",
        "Sạp 12",
    ):
        assert expected in text
    assert "0123456789" not in text
    assert pdf_pages_decoded(pdf, tmp_path) == [[info.payload]]


def test_sheet_pages_each_scan_back_to_their_payloads(tmp_path: Path) -> None:
    infos = [info_for(f"10000000{i:02d}", name=f"Sạp số {i}") for i in range(6)]
    pdf = qr.sticker_sheet_pdf(infos)
    page_count, size, _ = pdf_info(pdf, tmp_path)
    assert page_count == 2
    assert "(A4)" in size
    decoded = pdf_pages_decoded(pdf, tmp_path)
    assert decoded == [sorted(i.payload for i in infos[:4]), sorted(i.payload for i in infos[4:])]


def test_sheet_limits_and_masking() -> None:
    with pytest.raises(qr.RenderError, match="at least one"):
        qr.sticker_sheet_pdf([])
    assert mask_account("0123456789") == "••••6789"
    assert mask_account("12") == "••••2"
