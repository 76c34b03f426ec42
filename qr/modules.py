"""The module matrix of a QR code at level Q: segno encodes, we choose the data mask faster.

segno (and python-qrcode) pick the mask by building and scoring all eight masked symbols in
pure Python, which was ~75% of printing a 500-sticker sheet. Here segno builds the symbol once
with mask 0; the other seven are that matrix XOR-ed with the mask patterns over the data region,
kept as one ``int`` per row, and scored with C-level string and integer operations (ISO/IEC
18004 penalties N1-N4, format information left out of the score). segno then builds the final
symbol with the chosen mask, so the output is always a symbol segno made; the choice only steers
which of the eight valid masks is used.

The payload is split into segments (long digit runs in numeric mode, the rest in byte mode), the
way python-qrcode optimised it, which keeps VietQR payloads one or two versions smaller than a
single byte segment.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable

import segno
import segno.consts
import segno.encoder

ERROR_LEVEL = "q"
MIN_NUMERIC_RUN = 9  # shorter digit runs cost more in mode switches than numeric mode saves
MASK_COUNT = 8
PENALTY_N1, PENALTY_N2, PENALTY_N3, PENALTY_N4 = 3, 3, 40, 10

_BYTE = segno.consts.MODE_BYTE
_NUMERIC = segno.consts.MODE_NUMERIC
_DIGIT_RUN = re.compile(rf"[0-9]{{{MIN_NUMERIC_RUN},}}")
_SAME_RUN = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(r"(?=00001011101|10111010000)")

_MASKS: tuple[Callable[[int, int], bool], ...] = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)


def segments(payload: str) -> list[tuple[str, int]]:
    """``payload`` as (text, mode) segments: digit runs of 9+ numeric, the rest byte."""
    parts: list[tuple[str, int]] = []
    pos = 0
    for run in _DIGIT_RUN.finditer(payload):
        if run.start() > pos:
            parts.append((payload[pos : run.start()], _BYTE))
        parts.append((run.group(), _NUMERIC))
        pos = run.end()
    if pos < len(payload):
        parts.append((payload[pos:], _BYTE))
    return parts


def _make(payload: str, mask: int) -> segno.QRCode:
    return segno.make(
        segments(payload),  # type: ignore[arg-type]  # documented: a list of (text, mode)
        error=ERROR_LEVEL,
        mask=mask,
        micro=False,
        boost_error=False,
        encoding="utf-8",
    )


def module_matrix(payload: str) -> list[list[bool]]:
    """The modules of ``payload`` (True = dark), without quiet zone, best-scoring mask."""
    first = _make(payload, 0)
    size = len(first.matrix)
    rows = [_row_int(row) for row in first.matrix]
    region = _data_region(first.version)
    flips = _mask_flips(first.version)
    best, best_rows, best_score = 0, rows, _score(rows, size)
    for mask in range(1, MASK_COUNT):
        change = flips[mask]
        masked = [row ^ (change[r] & region[r]) for r, row in enumerate(rows)]
        score = _score(masked, size)
        if score < best_score:
            best, best_rows, best_score = mask, masked, score
    texts = [format(row, f"0{size}b") for row in best_rows]
    if best:  # the masked data is ours; the format information (mask number) is segno's
        cells = [bytearray(map(int, text)) for text in texts]
        segno.encoder.add_format_info(  # type: ignore[no-untyped-call]  # untyped in segno
            cells, first.version, segno.consts.ERROR_LEVEL_Q, best
        )
        return [[bool(cell) for cell in row] for row in cells]
    return [[cell == "1" for cell in text] for text in texts]


def mask_of(payload: str) -> int:
    """The mask ``module_matrix`` chooses for ``payload`` (for cross-checking with segno)."""
    matrix = module_matrix(payload)
    return next(
        mask
        for mask in range(MASK_COUNT)
        if [[bool(c) for c in row] for row in _make(payload, mask).matrix] == matrix
    )


def _row_int(row: bytearray | list[int]) -> int:
    value = 0
    for cell in row:
        value = (value << 1) | (cell & 1)
    return value


@functools.cache
def _data_region(version: int) -> tuple[int, ...]:
    """Per row, the bits of modules outside every function pattern (finders, separators,
    format and version information, timing, alignment patterns, the dark module)."""
    size = 17 + 4 * version
    taken = [[False] * size for _ in range(size)]

    def block(top: int, left: int, height: int, width: int) -> None:
        for i in range(max(top, 0), min(top + height, size)):
            for j in range(max(left, 0), min(left + width, size)):
                taken[i][j] = True

    block(0, 0, 9, 9)  # finder, separator and format info, top left
    block(0, size - 8, 9, 8)
    block(size - 8, 0, 8, 9)
    block(6, 0, 1, size)  # timing patterns
    block(0, 6, size, 1)
    if version >= 7:  # version information
        block(0, size - 11, 6, 3)
        block(size - 11, 0, 3, 6)
    centres = segno.consts.ALIGNMENT_POS[version - 2] if version > 1 else ()
    for ci in centres:
        for cj in centres:
            if not _in_finder(ci, cj, size):
                block(ci - 2, cj - 2, 5, 5)
    return tuple(_row_int([0 if cell else 1 for cell in row]) for row in taken)


def _in_finder(i: int, j: int, size: int) -> bool:
    return (i < 9 and j < 9) or (i < 9 and j >= size - 8) or (i >= size - 8 and j < 9)


@functools.cache
def _mask_flips(version: int) -> tuple[tuple[int, ...], ...]:
    """Per mask k, per row: the bits where mask k differs from mask 0."""
    size = 17 + 4 * version
    base = _MASKS[0]
    flips = []
    for test in _MASKS:
        flips.append(
            tuple(
                _row_int([int(test(i, j) != base(i, j)) for j in range(size)]) for i in range(size)
            )
        )
    return tuple(flips)


def _score(rows: list[int], size: int) -> int:
    """ISO/IEC 18004 7.8.3 penalty of a matrix given as row bit masks."""
    texts = [format(row, f"0{size}b") for row in rows]
    lines = (*texts, *("".join(col) for col in zip(*texts, strict=True)))
    score = 0
    for run in _SAME_RUN.finditer("|".join(lines)):  # "|" ends a run at each line's end
        score += PENALTY_N1 + run.end() - run.start() - 5
    # Four light modules around every line: the symbol's edge counts as light. A finder-like
    # pattern has no four light modules in a row, so no match spans two lines.
    light = "0000"
    score += PENALTY_N3 * len(_FINDER_LIKE.findall(light + light.join(lines) + light))
    full = (1 << size) - 1
    blocks = 0
    for upper, lower in itertools.pairwise(rows):
        dark = upper & lower & (upper >> 1) & (lower >> 1)
        pale = ~upper & ~lower & ~(upper >> 1) & ~(lower >> 1) & (full >> 1)
        blocks += dark.bit_count() + pale.bit_count()
    score += PENALTY_N2 * blocks
    dark_count = sum(row.bit_count() for row in rows)
    percent = dark_count * 100 // (size * size)
    return score + PENALTY_N4 * (abs(percent - 50) // 5)
