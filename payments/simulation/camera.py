"""Camera fidelity: a sticker rendered to PNG, photographed badly, decoded with ``qr.scan``.

The "photo" is the sticker's image placed on a grey stall table, turned a few degrees, scaled
as a phone at arm's length would, blurred, darkened or brightened, and JPEG-compressed -- each
amount drawn from the caller's seeded generator, so the same payment gets the same photo.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageEnhance, ImageFilter

from qr import render_png, scan

STICKER_SCALE_PX = 6  # pixels per QR module in the rendered sticker
MAX_TILT_DEG = 8.0
BLUR_RADIUS_PX = (0.3, 1.4)
BRIGHTNESS = (0.6, 1.15)
JPEG_QUALITY = (35, 80)
PHOTO_SCALE = (0.55, 1.0)
TABLE_GREY = (118, 116, 108)


def phone_photo(payload: str, rng: random.Random) -> bytes:
    """A degraded JPEG photo of the sticker of ``payload``."""
    code = Image.open(io.BytesIO(render_png(payload, scale=STICKER_SCALE_PX))).convert("RGB")
    scene = Image.new("RGB", (code.width * 3 // 2, code.height * 3 // 2), TABLE_GREY)
    scene.paste(code, (rng.randrange(code.width // 2 + 1), rng.randrange(code.height // 2 + 1)))
    scene = scene.rotate(rng.uniform(-MAX_TILT_DEG, MAX_TILT_DEG), fillcolor=TABLE_GREY)
    factor = rng.uniform(*PHOTO_SCALE)
    scene = scene.resize(
        (max(1, int(scene.width * factor)), max(1, int(scene.height * factor))),
        Image.Resampling.BILINEAR,
    )
    scene = scene.filter(ImageFilter.GaussianBlur(rng.uniform(*BLUR_RADIUS_PX)))
    scene = ImageEnhance.Brightness(scene).enhance(rng.uniform(*BRIGHTNESS))
    out = io.BytesIO()
    scene.save(out, "JPEG", quality=rng.randrange(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1))
    return out.getvalue()


def photograph_and_scan(payload: str, rng: random.Random) -> str | None:
    """The payload the buyer's phone reads from a photo of the sticker, or None if none."""
    found = scan(phone_photo(payload, rng))
    return found[0] if found else None
