"""Issue 6: the switch's parse cache keeps stickers, not one-off dynamic codes (memory flat)."""

from __future__ import annotations

from payments import routing
from payments.routing import Payment, prepare
from qr import VietQR, build


def _code(point: str, amount: int | None, reference: str | None) -> str:
    return build(
        VietQR(
            bin="970405",
            account="1234567",
            amount=amount,
            merchant_name="NGUYEN THI HOA",
            merchant_city="DAI TU",
            reference=reference,
            point_of_initiation=point,  # type: ignore[arg-type]
        )
    )


def test_dynamic_codes_do_not_fill_the_parse_cache_and_stickers_do() -> None:
    routing._parse_sticker.cache_clear()
    for n in range(50):
        dynamic = _code("dynamic", 10_000 + n, f"MPAAA{n:03d}")
        prepared = prepare(Payment(dynamic, "970436", "0011", f"d-{n}"))
        assert (prepared.dynamic, prepared.amount_dong) == (True, 10_000 + n)
    assert routing._parse_sticker.cache_info().currsize == 0
    sticker = _code("static", None, None)
    for n in range(3):
        prepare(Payment(sticker, "970436", "0011", f"s-{n}", 5_000))
    info = routing._parse_sticker.cache_info()
    assert (info.currsize, info.hits) == (1, 2)
