"""QR images of a payload: PNG (Pillow) and SVG (text), from one module matrix.

Error correction is level Q (recovers ~25% of codewords), chosen on purpose. A market sticker
gets mud, creases, tape and sun-fading, which argues for more redundancy than M (~15%); but H
(~30%) makes a 120-180 character VietQR payload one or two versions bigger (about 57 instead of
53 modules a side), so at a fixed ~70 mm print width each module shrinks and cheap phone cameras
at arm's length and in poor light lose it to blur first. Q keeps modules above ~1.2 mm on an A6
sticker and still survives a creased or partly dirty corner (tests scan rendered stickers back).
"""

from __future__ import annotations

import io

from qr.errors import RenderError
from qr.modules import ERROR_LEVEL, module_matrix

ERROR_CORRECTION = ERROR_LEVEL  # "q"; see the module docstring
MAX_PAYLOAD_CHARS = 512
DEFAULT_SCALE_PX = 10  # pixels per module
MAX_SCALE_PX = 40
MAX_BORDER_MODULES = 16
QUIET_ZONE_MODULES = 4  # the quiet zone ISO/IEC 18004 asks for


def matrix(payload: str) -> list[list[bool]]:
    """The QR modules of ``payload`` (True = dark), without the quiet zone."""
    if not payload:
        raise RenderError("cannot render an empty payload")
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise RenderError(f"payload of {len(payload)} characters is over {MAX_PAYLOAD_CHARS}")
    return module_matrix(payload)


def _check(scale: int, border: int) -> None:
    if not 1 <= scale <= MAX_SCALE_PX:
        raise RenderError(f"scale {scale}: not between 1 and {MAX_SCALE_PX} pixels per module")
    if not 0 <= border <= MAX_BORDER_MODULES:
        raise RenderError(f"border {border}: not between 0 and {MAX_BORDER_MODULES} modules")


def render_png(
    payload: str, *, scale: int = DEFAULT_SCALE_PX, border: int = QUIET_ZONE_MODULES
) -> bytes:
    """A black-on-white 1-bit PNG of ``payload``."""
    from PIL import Image

    _check(scale, border)
    modules = matrix(payload)
    side = len(modules) + 2 * border
    image = Image.new("1", (side, side), 1)
    pixels = image.load()
    assert pixels is not None
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                pixels[x + border, y + border] = 0
    image = image.resize((side * scale, side * scale), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def render_svg(payload: str, *, border: int = QUIET_ZONE_MODULES) -> str:
    """A standalone SVG of ``payload``, one unit per module, scalable to any print size."""
    _check(1, border)
    modules = matrix(payload)
    side = len(modules) + 2 * border
    path = []
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                path.append(f"M{start + border},{y + border}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'width="{side * DEFAULT_SCALE_PX}" height="{side * DEFAULT_SCALE_PX}" '
        'shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(path)}"/></svg>\n'
    )
