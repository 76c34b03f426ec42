"""The fast mask choice of qr.modules: its symbols are exactly the ones segno builds for the
chosen mask, that mask scores no worse than segno's own pick, and segments keep versions small."""

from __future__ import annotations

import io

import segno
import segno.encoder
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pyzbar.pyzbar import decode

import qr
from qr.modules import MASK_COUNT, module_matrix, segments

PAYLOAD_TEXT = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x1EF9, codec="utf-8"),
    min_size=1,
    max_size=160,
)


def _segno_symbol(payload: str, mask: int) -> list[list[bool]]:
    code = segno.make(
        segments(payload),  # type: ignore[arg-type]
        error="q",
        mask=mask,
        micro=False,
        boost_error=False,
        encoding="utf-8",
    )
    return [[bool(cell) for cell in row] for row in code.matrix]


def _score(symbol: list[list[bool]]) -> int:
    rows = [bytearray(int(c) for c in row) for row in symbol]
    return sum(segno.encoder.mask_scores(rows, len(rows), len(rows)))  # type: ignore[no-untyped-call]


@settings(max_examples=25, deadline=None)
@given(PAYLOAD_TEXT)
def test_symbol_is_segnos_own_for_the_chosen_mask(payload: str) -> None:
    ours = module_matrix(payload)
    same = [mask for mask in range(MASK_COUNT) if _segno_symbol(payload, mask) == ours]
    assert len(same) == 1


def test_chosen_mask_scores_close_to_segnos_pick() -> None:
    for index in range(12):
        payload = qr.build(qr.VietQR(bin="970405", account=f"1234{index:06d}", amount=index + 1))
        ours = _score(module_matrix(payload))
        best = min(_score(_segno_symbol(payload, mask)) for mask in range(MASK_COUNT))
        assert ours <= best * 1.15  # format bits are left out of our score, so not always equal


def test_digit_runs_are_numeric_segments_and_keep_the_version_small() -> None:
    payload = qr.build(qr.VietQR(bin="970405", account="0123456789012", amount=1_250_000))
    modes = [mode for _, mode in segments(payload)]
    assert segno.consts.MODE_NUMERIC in modes
    assert "".join(text for text, _ in segments(payload)) == payload
    one_segment = segno.make(payload, error="q", micro=False, boost_error=False)
    assert len(module_matrix(payload)) <= len(one_segment.matrix)


def test_vietnamese_text_round_trips_through_an_image() -> None:
    payload = qr.build(qr.VietQR(bin="970405", account="0123456789", amount=50_000)) + " Chợ Đại Từ"
    image = Image.open(io.BytesIO(qr.render_png(payload, scale=4)))
    assert [d.data.decode("utf-8") for d in decode(image)] == [payload]
