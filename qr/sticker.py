"""Printable VietQR stickers: one A6 page per receiving account, or A4 sheets of four with cut
marks for a whole market. Vector QR (one path per code), DejaVu Sans for Vietnamese text.

Reads the font file, so like ``qr.render`` this is an edge module, not part of the pure core.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from qr.errors import RenderError
from qr.render import QUIET_ZONE_MODULES, matrix

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
CALL_TO_ACTION = "Quét mã để thanh toán"
MAX_TEXT_CHARS = 60
MAX_STICKERS_PER_SHEET_PDF = 5000
QR_SIDE_FRACTION = 0.78  # of the sticker width, quiet zone included
SHEET_COLUMNS, SHEET_ROWS = 2, 2
SHEET_CELL_SCALE = 0.9  # four A6 fill A4 exactly; shrink so printers' margins and cuts fit
CUT_MARK_MM = 4.0
CUT_MARK_GAP_MM = 1.5
MASK_DOT = "•"
MASK_VISIBLE_DIGITS = 4


class StickerInfo(BaseModel):
    """What one sticker shows. ``account`` is printed masked (``••••6789``)."""

    model_config = ConfigDict(frozen=True)

    payload: str = Field(min_length=1, max_length=512)
    vendor_name: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    bank_short_name: str = Field(max_length=MAX_TEXT_CHARS)
    account: str = Field(min_length=1, max_length=19)
    market: str = Field(default="", max_length=MAX_TEXT_CHARS)
    stall: str = Field(default="", max_length=MAX_TEXT_CHARS)


def mask_account(account: str) -> str:
    """``"0123456789"`` -> ``"••••6789"``; short accounts show no more than half their digits."""
    visible = min(MASK_VISIBLE_DIGITS, len(account) // 2)
    return MASK_DOT * 4 + (account[-visible:] if visible else "")


@functools.cache
def _register_fonts() -> None:
    for name in (FONT_REGULAR, FONT_BOLD):
        path = FONT_DIR / f"{name}.ttf"
        if not path.is_file():
            raise RenderError(
                f"font {path} is missing: install fonts-dejavu-core to print Vietnamese text"
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))


def _fit_text(canvas: Canvas, text: str, font: str, size: float, width: float) -> float:
    """Largest font size up to ``size`` at which ``text`` fits ``width``."""
    actual = pdfmetrics.stringWidth(text, font, size)
    return size if actual <= width else max(5.0, size * width / actual)


def _draw_qr(canvas: Canvas, payload: str, x: float, y: float, side: float) -> None:
    """The code as one filled path in module units: each horizontal run of dark modules is one
    ``re`` operator with integer coordinates, written as PDF operators directly (reportlab's
    per-number float formatting was most of the sheet's drawing time)."""
    modules = matrix(payload)
    count = len(modules) + 2 * QUIET_ZONE_MODULES
    unit = side / count
    ops = []
    for row_index, row in enumerate(modules):
        bottom = count - QUIET_ZONE_MODULES - 1 - row_index
        col = 0
        while col < len(row):
            if not row[col]:
                col += 1
                continue
            start = col
            while col < len(row) and row[col]:
                col += 1
            ops.append(f"{start + QUIET_ZONE_MODULES} {bottom} {col - start} 1 re")
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(unit, unit)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral("\n".join(ops) + "\nf")
    canvas.restoreState()


def _draw_sticker(canvas: Canvas, info: StickerInfo, width: float, height: float) -> None:
    """One sticker with its lower-left corner at the current origin."""
    margin = 6 * mm
    text_width = width - 2 * margin
    canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
    canvas.setLineWidth(0.5)
    canvas.rect(0, 0, width, height, stroke=1, fill=0)
    centre = width / 2
    size = _fit_text(canvas, CALL_TO_ACTION, FONT_BOLD, 16, text_width)
    canvas.setFont(FONT_BOLD, size)
    canvas.drawCentredString(centre, height - margin - size, CALL_TO_ACTION)
    side = width * QR_SIDE_FRACTION
    qr_top = height - margin - 22
    _draw_qr(canvas, info.payload, centre - side / 2, qr_top - side, side)
    lines = [
        (FONT_BOLD, 15.0, info.vendor_name),
        (FONT_REGULAR, 11.0, f"{info.bank_short_name}  {mask_account(info.account)}".strip()),
        (FONT_REGULAR, 10.0, " · ".join(p for p in (info.market, info.stall) if p)),
    ]
    baseline = qr_top - side - 4
    for font, wanted, text in lines:
        if not text:
            continue
        size = _fit_text(canvas, text, font, wanted, text_width)
        baseline -= size + 3
        canvas.setFont(font, size)
        canvas.drawCentredString(centre, baseline, text)


def sticker_pdf(info: StickerInfo) -> bytes:
    """One A6 page: the sticker for one receiving account."""
    _register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A6, pageCompression=1)
    canvas.setTitle(f"VietQR {info.vendor_name}")
    _draw_sticker(canvas, info, *A6)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _cut_marks(canvas: Canvas, x: float, y: float, width: float, height: float) -> None:
    gap, length = CUT_MARK_GAP_MM * mm, CUT_MARK_MM * mm
    canvas.setStrokeColorRGB(0, 0, 0)
    canvas.setLineWidth(0.3)
    for cx, dx in ((x, -1), (x + width, 1)):
        for cy, dy in ((y, -1), (y + height, 1)):
            canvas.line(cx + dx * gap, cy, cx + dx * (gap + length), cy)
            canvas.line(cx, cy + dy * gap, cx, cy + dy * (gap + length))


def sticker_sheet_pdf(infos: Sequence[StickerInfo]) -> bytes:
    """A4 pages, four stickers each (2 x 2, scaled to fit), with cut marks at every corner."""
    if not infos:
        raise RenderError("a sticker sheet needs at least one sticker")
    if len(infos) > MAX_STICKERS_PER_SHEET_PDF:
        raise RenderError(f"{len(infos)} stickers: over {MAX_STICKERS_PER_SHEET_PDF} per PDF")
    _register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle("VietQR stickers")
    cell_w, cell_h = A6[0] * SHEET_CELL_SCALE, A6[1] * SHEET_CELL_SCALE
    gutter_x = (A4[0] - SHEET_COLUMNS * cell_w) / (SHEET_COLUMNS + 1)
    gutter_y = (A4[1] - SHEET_ROWS * cell_h) / (SHEET_ROWS + 1)
    per_page = SHEET_COLUMNS * SHEET_ROWS
    for index, info in enumerate(infos):
        slot = index % per_page
        if index and slot == 0:
            canvas.showPage()
        col, row = slot % SHEET_COLUMNS, slot // SHEET_COLUMNS
        x = gutter_x + col * (cell_w + gutter_x)
        y = A4[1] - (row + 1) * (cell_h + gutter_y)
        _cut_marks(canvas, x, y, cell_w, cell_h)
        canvas.saveState()
        canvas.translate(x, y)
        canvas.scale(SHEET_CELL_SCALE, SHEET_CELL_SCALE)
        _draw_sticker(canvas, info, *A6)
        canvas.restoreState()
    canvas.showPage()
    canvas.save()
    return out.getvalue()
