"""The catalogue is complete in both languages; amounts are written the Vietnamese way."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from merchant_app.pages.catalogue import EN, VI
from merchant_app.pages.i18n import Translator, pick_language
from merchant_app.pages.money import format_dong, parse_dong


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    assert VI.keys() == EN.keys()
    for key in VI:
        assert _placeholders(VI[key]) == _placeholders(EN[key]), key


def test_vietnamese_is_the_default_and_query_beats_cookie() -> None:
    assert pick_language(None, None) == "vi"
    assert pick_language(None, "en") == "en"
    assert pick_language("vi", "en") == "vi"
    assert pick_language("fr", None) == "vi"
    assert Translator("en")("pay.done", amount="25.000 đ", payee="A") == "Paid 25.000 đ to A."


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "0 đ"),
        (500, "500 đ"),
        (25_000, "25.000 đ"),
        (1_250_000, "1.250.000 đ"),
        (-3000, "-3.000 đ"),
    ],
)
def test_format_dong_groups_thousands_with_dots(amount: int, text: str) -> None:
    assert format_dong(amount) == text


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_dong_reads_back_what_format_dong_writes(amount: int) -> None:
    assert parse_dong(format_dong(amount)) == amount
    assert parse_dong(str(amount)) == amount


@pytest.mark.parametrize(
    "text", ["", "abc", "12a", "1.5", "25,5", "-100", "١٢٣", "1" * 21, "2.50.000"]
)
def test_parse_dong_rejects_what_is_not_a_whole_number_of_dong(text: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_dong(text)


def test_every_reconciliation_kind_has_words_in_both_languages() -> None:
    from payments.reconciliation.model import Kind

    for kind in Kind:
        assert f"recon.{kind.value}" in VI
        assert f"recon.{kind.value}" in EN
