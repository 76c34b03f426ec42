"""Server-drawn SVG charts and the dashboard's export formats."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path
from xml.etree import ElementTree

from openpyxl import load_workbook

from merchant_app.pages.charts import Series, bar_chart, line_chart
from merchant_app.pages.exports import ExportTable, to_csv, to_pdf, to_xlsx

SVG = "{http://www.w3.org/2000/svg}"


def test_line_chart_is_valid_svg_with_one_line_per_series_told_apart_without_colour() -> None:
    svg = line_chart(
        "Tỷ lệ <QR>",
        ["01/11", "02/11", "03/11"],
        [Series("Có mã QR", [10.0, 40.0, 80.0]), Series("Đang nhận", [0.0, 20.0, 50.0])],
        percent=True,
    )
    root = ElementTree.fromstring(str(svg))
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2
    assert lines[0].get("stroke-dasharray") != lines[1].get("stroke-dasharray")
    assert root.find(f"{SVG}title").text == "Tỷ lệ <QR>"  # type: ignore[union-attr]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Có mã QR" in texts
    assert "Đang nhận" in texts
    assert "100%" in texts
    # 80% sits higher (smaller y) than 10%
    points = [tuple(map(float, p.split(","))) for p in lines[0].get("points", "").split()]
    assert points[2][1] < points[0][1]


def test_bar_chart_writes_each_value_and_escapes_labels() -> None:
    svg = bar_chart("Xếp hạng", [("Chợ Đại Từ", 80.0), ("<script>", 12.0)], percent=True)
    root = ElementTree.fromstring(str(svg))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Chợ Đại Từ", "<script>", "80%", "12%"} <= set(texts)
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > 0


TABLE = ExportTable(
    "Chợ",
    ["Chợ", "Người bán", "Giá trị QR (đ)"],
    [["Chợ Đại Từ", 312, 25_000_000], ["Chợ Hùng Sơn", 40, 0]],
)


def test_csv_export_round_trips_with_vietnamese_text() -> None:
    text = to_csv(TABLE).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [TABLE.columns, ["Chợ Đại Từ", "312", "25000000"], ["Chợ Hùng Sơn", "40", "0"]]


def test_xlsx_export_keeps_numbers_as_numbers() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(TABLE))).active
    assert sheet is not None
    assert [c.value for c in sheet[2]] == ["Chợ Đại Từ", 312, 25_000_000]


def test_pdf_export_renders_vietnamese_text(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(to_pdf(TABLE, "Từ 01/11/2026 đến 29/11/2026"))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Chợ Đại Từ" in text
    assert "25.000.000" in text
