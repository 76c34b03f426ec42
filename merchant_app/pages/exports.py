"""Dashboard exports: one table in CSV, XLSX (openpyxl) or a printable PDF (reportlab).

Only aggregate rows reach here: the dashboard builds them from per-market figures, never from
buyer records, so nothing personal can end up in a file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from merchant_app.pages.money import group_thousands

EXPORT_MAX_ROWS = 100_000
# DejaVu covers Vietnamese; scripts/setup-system.sh installs it (the PDF's standard fonts do not
# have the letters).
FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

Cell = str | int | float


@dataclass(frozen=True)
class ExportTable:
    title: str
    columns: list[str]
    rows: list[list[Cell]]

    def __post_init__(self) -> None:
        assert len(self.rows) <= EXPORT_MAX_ROWS, "export too large"
        assert all(len(row) == len(self.columns) for row in self.rows), "ragged export"


def to_csv(table: ExportTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    # A byte-order mark so spreadsheet programs open Vietnamese text as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: ExportTable) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = table.title[:31]
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_pdf(table: ExportTable, subtitle: str) -> bytes:
    regular, bold = _fonts()
    styles = getSampleStyleSheet()
    heading = styles["Heading1"].clone("mp-heading", fontName=bold)
    body = styles["BodyText"].clone("mp-body", fontName=regular)
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, title=table.title
    )
    grid = Table(
        [table.columns, *[[_cell_text(c) for c in row] for row in table.rows]], repeatRows=1
    )
    grid.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), regular, 9),
                ("FONT", (0, 0), (-1, 0), bold, 9),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    document.build([Paragraph(table.title, heading), Paragraph(subtitle, body), Spacer(1, 6), grid])
    return out.getvalue()


def _cell_text(value: Cell) -> str:
    if isinstance(value, int):
        return group_thousands(value)
    if isinstance(value, float):
        return f"{value:.1f}"
    return value


def _fonts() -> tuple[str, str]:
    if "MarketPaySans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("MarketPaySans", str(FONT_PATH)))
        pdfmetrics.registerFont(TTFont("MarketPaySans-Bold", str(FONT_BOLD_PATH)))
    return "MarketPaySans", "MarketPaySans-Bold"
