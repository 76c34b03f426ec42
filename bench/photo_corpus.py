"""A deterministic corpus of simulated phone photos of VietQR stickers, at graded severity.

``python bench/photo_corpus.py OUT_DIR [--per-severity N] [--seed S]`` writes JPEGs and a
``labels.json`` (file -> payload). ``photos(severity, count, seed)`` yields the same photos in
memory for tests and benchmarks. Each photo: a sticker (QR with quiet zone on a white card) on a
cluttered background, rotated and perspective-tilted, blurred, darkened, shadowed by a gradient,
scaled down, and JPEG-compressed, with strength drawn (seeded) up to the severity's maximum.
"""

from __future__ import annotations

import io
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

import qr

PHOTO_SIZE_PX = (800, 600)


@dataclass(frozen=True)
class Severity:
    rotate_deg: float  # in-plane rotation, up to
    tilt: float  # perspective corner displacement, fraction of the side, up to
    blur_px: float  # Gaussian blur radius, up to
    jpeg_quality: int  # at least
    light: float  # brightness multiplier, at least
    shadow: float  # darkest point of the shadow gradient, depth up to
    qr_px: int  # side of the code in the photo, at least
    clutter: int  # rectangles of background clutter


SEVERITIES = {
    "mild": Severity(5, 0.03, 0.6, 85, 0.85, 0.2, 300, 10),
    "moderate": Severity(15, 0.08, 1.3, 60, 0.6, 0.45, 190, 30),
    "severe": Severity(35, 0.16, 2.4, 35, 0.35, 0.7, 120, 60),
}


@dataclass(frozen=True)
class Photo:
    name: str
    payload: str
    jpeg: bytes


def _payload(rng: random.Random) -> str:
    bank = rng.choice(qr.banks())
    amount = rng.choice([None, rng.randrange(1_000, 2_000_000, 500)])
    code = qr.VietQR(
        bin=bank.bin,
        account=str(rng.randrange(10**9, 10**13)),
        amount=amount,
        purpose=f"MP{rng.randrange(10**8):08d}" if amount else None,
        merchant_name=rng.choice(["Ba Hoa rau", "Chu Tam thit", "Co Lan ca", "Hang tap hoa"]),
    )
    return qr.build(code)


def _sticker(payload: str, rng: random.Random) -> Image.Image:
    code = Image.open(io.BytesIO(qr.render_png(payload, scale=6))).convert("RGB")
    card = Image.new("RGB", (code.width + 60, code.height + 140), (252, 250, 245))
    card.paste(code, (30, 40))
    draw = ImageDraw.Draw(card)
    for line in range(3):  # stand-ins for the printed text lines
        width = rng.randrange(card.width // 3, card.width - 60)
        top = code.height + 60 + line * 25
        draw.rectangle((30, top, 30 + width, top + 10), fill=(40, 40, 40))
    return card


def _background(rng: random.Random, sev: Severity) -> Image.Image:
    base = tuple(rng.randrange(60, 200) for _ in range(3))
    image = Image.new("RGB", PHOTO_SIZE_PX, base)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    for _ in range(sev.clutter):
        x, y = rng.randrange(PHOTO_SIZE_PX[0]), rng.randrange(PHOTO_SIZE_PX[1])
        w, h = rng.randrange(10, 160), rng.randrange(10, 160)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + w, y + h), fill=colour)  # type: ignore[arg-type]
    return image


def _perspective(image: Image.Image, tilt: float, rng: random.Random) -> Image.Image:
    """Move each corner by up to ``tilt`` of the side (PIL's QUAD order: UL, LL, LR, UR)."""
    w, h = image.size
    d = [rng.uniform(-tilt, tilt) for _ in range(8)]
    quad = (d[0] * w, d[1] * h, d[2] * w, h + d[3] * h,
            w + d[4] * w, h + d[5] * h, w + d[6] * w, d[7] * h)  # fmt: skip
    return image.transform((w, h), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC)


def _photo(payload: str, sev: Severity, rng: random.Random) -> Image.Image:
    sticker = _sticker(payload, rng).convert("RGBA")  # alpha marks the card, not the ink
    sticker = _perspective(sticker, rng.uniform(0, sev.tilt), rng)
    sticker = sticker.rotate(rng.uniform(-sev.rotate_deg, sev.rotate_deg), expand=True,
                             resample=Image.Resampling.BICUBIC)  # fmt: skip
    qr_side = rng.randrange(sev.qr_px, sev.qr_px + 120)
    scale = qr_side / (sticker.width * 0.8)
    size = (max(1, int(sticker.width * scale)), max(1, int(sticker.height * scale)))
    sticker = sticker.resize(size, Image.Resampling.LANCZOS)
    photo = _background(rng, sev)
    x = rng.randrange(0, max(1, PHOTO_SIZE_PX[0] - size[0]))
    y = rng.randrange(0, max(1, PHOTO_SIZE_PX[1] - size[1]))
    photo.paste(sticker, (x, y), sticker)
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0, sev.blur_px)))
    light = rng.uniform(sev.light, 1.0)
    depth = rng.uniform(0, sev.shadow)
    gradient = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(PHOTO_SIZE_PX)
    shade = gradient.point(lambda v: int(255 * light * (1 - depth * v / 255)))
    black = Image.new("RGB", PHOTO_SIZE_PX, (0, 0, 0))
    return Image.composite(photo, black, shade)


def photos(severity: str, count: int, seed: int = 2026) -> Iterator[Photo]:
    """``count`` photos at ``severity``; the same seed gives the same bytes."""
    sev = SEVERITIES[severity]
    rng = random.Random(f"{seed}-{severity}")
    for index in range(count):
        payload = _payload(rng)
        image = _photo(payload, sev, rng)
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=rng.randrange(sev.jpeg_quality, 95))
        yield Photo(f"{severity}-{index:04d}.jpg", payload, out.getvalue())


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0])
    per = int(argv[argv.index("--per-severity") + 1]) if "--per-severity" in argv else 100
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 2026
    out_dir.mkdir(parents=True, exist_ok=True)
    labels = {}
    for severity in SEVERITIES:
        for photo in photos(severity, per, seed):
            (out_dir / photo.name).write_bytes(photo.jpeg)
            labels[photo.name] = photo.payload
    (out_dir / "labels.json").write_text(json.dumps(labels, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
