"""Decode QR codes in images (phone photos of stickers) with pyzbar.

First a plain pass on the image as given; if pyzbar finds nothing, a fixed, bounded list of pure
preprocessing steps is tried in order until one yields a code or ``SCAN_BUDGET_MS`` is spent.
Every payload returned is exactly what pyzbar read; preprocessing only changes what it looks at.
Images are checked against byte and pixel limits from the header, before any pixel is decoded.
"""

from __future__ import annotations

import io
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError
from pyzbar.pyzbar import ZBarSymbol, decode

from qr.errors import ScanError

SCAN_BUDGET_MS = 400  # a buyer waits this long at most for the fallbacks
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # a 48 MP phone photo is downscaled by the app first
WORK_SIDE_PX = 1200  # fallbacks run on an image no larger than this on its long side
SMALL_SIDE_PX = 500  # below this, upscaling helps zbar find the finder patterns
TILT_DEGREES = (12.0, -12.0, 25.0, -25.0)
PROBE_SIDE_PX = 200  # the sticker card is located on a copy this wide
CARD_BRIGHT_FRACTION = 0.2  # share of the picture taken as "bright" when looking for the card
# Retries with more of the picture counted as bright, for a card half in shadow: once keeping
# only the largest connected pale patch (the card, not pale clutter), once keeping every one.
CARD_RETRY_FRACTIONS = ((0.5, True), (0.4, False))
CARD_MAX_SATURATION = 45  # paper is pale; market backgrounds are colourful
MIN_CARD_SIDE_PX = 40
LOCAL_BLOCK_FRACTIONS = (1 / 40, 1 / 25)  # neighbourhood radius, of the image's long side
LOCAL_OFFSETS = (8, 5)  # grey levels darker than the neighbourhood that count as dark

Step = Callable[[Image.Image], Image.Image]


@dataclass(frozen=True)
class ScanReport:
    payloads: list[str]
    step: str | None  # the step that found them; None when none did
    ms: float
    steps_tried: int


def _decode(image: Image.Image) -> list[str]:
    found = decode(image, symbols=[ZBarSymbol.QRCODE])
    return [symbol.data.decode("utf-8", errors="replace") for symbol in found]


def _gray(image: Image.Image) -> Image.Image:
    return image.convert("L")


def _fit(image: Image.Image) -> Image.Image:
    gray = _gray(image)
    longest = max(gray.size)
    if longest > WORK_SIDE_PX:
        factor = WORK_SIDE_PX / longest
        size = (max(1, int(gray.width * factor)), max(1, int(gray.height * factor)))
        return gray.resize(size, Image.Resampling.LANCZOS)
    if longest < SMALL_SIDE_PX:
        return gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.BICUBIC)
    return gray


def _autocontrast(image: Image.Image) -> Image.Image:
    return ImageOps.autocontrast(_fit(image), cutoff=2)


def _equalize(image: Image.Image) -> Image.Image:
    return ImageOps.equalize(_fit(image))


def _local_threshold(image: Image.Image) -> Image.Image:
    """Adaptive-ish threshold: compare each pixel with its neighbourhood mean, which removes
    shadow gradients and uneven light that defeat a global threshold."""
    return _threshold(_fit(image), LOCAL_BLOCK_FRACTIONS[0], LOCAL_OFFSETS[0])


def _local_threshold_wide(image: Image.Image) -> Image.Image:
    """The same with a wider neighbourhood and a smaller margin: faint, blurred modules."""
    return _threshold(_fit(image), LOCAL_BLOCK_FRACTIONS[1], LOCAL_OFFSETS[1])


def _threshold(gray: Image.Image, block_fraction: float, offset: int) -> Image.Image:
    radius = max(8, int(max(gray.size) * block_fraction))
    background = gray.filter(ImageFilter.BoxBlur(radius))
    diff = ImageChops.subtract(background, gray, scale=1.0, offset=0)
    return diff.point(lambda v: 0 if v > offset else 255)


def _sharpen(image: Image.Image) -> Image.Image:
    return ImageOps.autocontrast(_fit(image).filter(ImageFilter.UnsharpMask(3, 200, 2)))


def _downscale(image: Image.Image) -> Image.Image:
    gray = _fit(image)
    return gray.resize((max(1, gray.width // 2), max(1, gray.height // 2)), Image.Resampling.BOX)


def _upscale(image: Image.Image) -> Image.Image:
    """Small or blurred codes: more pixels per module help zbar's edge finder."""
    gray = ImageOps.autocontrast(_fit(image), cutoff=1)
    if max(gray.size) > WORK_SIDE_PX:
        return gray
    return gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.BICUBIC)


def _card_mask(image: Image.Image, fraction: float) -> Image.Image:
    """Pale (low saturation) pixels among the brightest ``fraction`` of a probe-sized copy."""
    probe = image.convert("RGB").resize(
        (PROBE_SIDE_PX, max(1, PROBE_SIDE_PX * image.height // image.width)), Image.Resampling.BOX
    )
    _, saturation, value = probe.convert("HSV").split()
    value = ImageOps.autocontrast(value, cutoff=1)
    histogram = value.histogram()
    wanted, seen, threshold = sum(histogram) * fraction, 0, 255
    for level in range(255, -1, -1):
        seen += histogram[level]
        if seen >= wanted:
            threshold = level
            break
    bright = value.point(lambda v: 255 if v >= threshold else 0)
    pale = saturation.point(lambda v: 255 if v < CARD_MAX_SATURATION else 0)
    return ImageChops.multiply(bright, pale).filter(ImageFilter.MinFilter(3))


def _largest_patch(mask: bytes, width: int) -> list[int]:
    """Indices of the largest 4-connected patch of set pixels (flood fill, bounded by the
    probe's ~30,000 pixels)."""
    left = bytearray(mask)
    best: list[int] = []
    total = len(left)
    for start in range(total):
        if not left[start]:
            continue
        patch, k = [start], 0
        left[start] = 0
        while k < len(patch):
            here = patch[k]
            k += 1
            x = here % width
            for there in (
                here - 1 if x else -1,
                here + 1 if x < width - 1 else -1,
                here - width,
                here + width,
            ):
                if 0 <= there < total and left[there]:
                    left[there] = 0
                    patch.append(there)
        if len(patch) > len(best):
            best = patch
    return best


def _card_corners(
    image: Image.Image, fraction: float = CARD_BRIGHT_FRACTION, largest: bool = False
) -> list[tuple[int, int]] | None:
    """Corners (UL, LL, LR, UR) of the sticker card in the probe-sized copy: the extreme
    points of the pale, bright pixels (of their largest patch when ``largest``)."""
    mask = _card_mask(image, fraction)
    width = mask.width
    data = mask.tobytes()
    pixels = _largest_patch(data, width) if largest else [i for i, on in enumerate(data) if on]
    if not pixels:
        return None
    extremes: list[tuple[int, tuple[int, int]]] = [(1 << 30, (0, 0))] * 4
    for index in pixels:
        x, y = index % width, index // width
        for slot, key in enumerate((x + y, x - y, -(x + y), -(x - y))):
            if key < extremes[slot][0]:
                extremes[slot] = (key, (x, y))
    ul, ll, lr, ur = (extremes[i][1] for i in (0, 1, 2, 3))
    return [ul, ll, lr, ur]


def _unwarp(image: Image.Image) -> Image.Image:
    """Perspective attempt: map the sticker card's four corners back to a rectangle."""
    return _flatten(image, _card_corners(image))


def _unwarp_retry(fraction: float, largest: bool) -> Step:
    def unwarp(image: Image.Image) -> Image.Image:
        return _flatten(image, _card_corners(image, fraction, largest))

    return unwarp


def _flatten(image: Image.Image, corners: list[tuple[int, int]] | None) -> Image.Image:
    gray = _gray(image)
    if corners is None:
        return gray
    k = image.width / PROBE_SIDE_PX
    ul, ll, _, ur = corners
    width = int(math.dist(ul, ur) * k)
    height = int(math.dist(ul, ll) * k)
    if min(width, height) < MIN_CARD_SIDE_PX:
        return gray
    quad = [c * k for corner in corners for c in corner]
    flat = gray.transform((width, height), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC)
    return ImageOps.autocontrast(flat, cutoff=1)


def _rotation(degrees: float) -> Step:
    def rotate(image: Image.Image) -> Image.Image:
        return _autocontrast(image).rotate(degrees, expand=True, fillcolor=255)

    return rotate


STEPS: tuple[tuple[str, Step], ...] = (
    ("gray", _fit),
    ("autocontrast", _autocontrast),
    ("unwarp", _unwarp),
    *(
        (f"unwarp_{fraction:.1f}{'_patch' if largest else ''}", _unwarp_retry(fraction, largest))
        for fraction, largest in CARD_RETRY_FRACTIONS
    ),
    ("local_threshold", _local_threshold),
    ("local_threshold_wide", _local_threshold_wide),
    ("sharpen", _sharpen),
    ("equalize", _equalize),
    ("downscale", _downscale),
    ("upscale", _upscale),
    *((f"rotate_{d:+.0f}", _rotation(d)) for d in TILT_DEGREES),
)


def _open(image: bytes | Image.Image | Path) -> Image.Image:
    if isinstance(image, Image.Image):
        _check_pixels(image.width, image.height)
        return image
    if isinstance(image, Path):
        try:
            size = image.stat().st_size
        except OSError as exc:
            raise ScanError(f"image {image}: cannot be read ({exc.strerror})") from exc
        _check_bytes(size)
        image = image.read_bytes()
    if not isinstance(image, bytes | bytearray):
        raise ScanError(f"image must be bytes, a path or a PIL image, not {type(image).__name__}")
    _check_bytes(len(image))
    return _decode_image(bytes(image))


def _check_bytes(size: int) -> None:
    if size > MAX_IMAGE_BYTES:
        raise ScanError(f"image of {size} bytes is over the limit of {MAX_IMAGE_BYTES} bytes")
    if size == 0:
        raise ScanError("image is empty (0 bytes)")


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise ScanError(
            f"image of {width}x{height} = {width * height} pixels is over the limit of "
            f"{MAX_IMAGE_PIXELS} pixels"
        )


def _decode_image(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            opened = Image.open(io.BytesIO(data))  # reads the header only
            _check_pixels(opened.width, opened.height)
            opened.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ScanError(f"image rejected as a decompression bomb: {exc}") from exc
        except UnidentifiedImageError as exc:
            raise ScanError("not an image in a format we can read (PNG, JPEG, ...)") from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise ScanError(f"image is damaged or truncated: {exc}") from exc
    return opened


def scan_report(image: bytes | Image.Image | Path) -> ScanReport:
    """Decode ``image``; the report says which step found the codes and how long it took."""
    started = time.perf_counter()
    opened = _open(image)
    found = _decode(opened)
    if found:
        return ScanReport(found, "plain", (time.perf_counter() - started) * 1000, 1)
    tried = 1
    for name, step in STEPS:
        if (time.perf_counter() - started) * 1000 > SCAN_BUDGET_MS:
            break
        tried += 1
        found = _decode(step(opened))
        if found:
            return ScanReport(found, name, (time.perf_counter() - started) * 1000, tried)
    return ScanReport([], None, (time.perf_counter() - started) * 1000, tried)


def scan(image: bytes | Image.Image | Path) -> list[str]:
    """The payloads pyzbar reads in ``image`` (possibly after preprocessing); [] when none."""
    return scan_report(image).payloads


def scan_plain(image: bytes | Image.Image | Path) -> list[str]:
    """One pyzbar pass with no preprocessing: the baseline the benchmarks compare against."""
    return _decode(_open(image))
