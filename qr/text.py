"""The banking-app memo rule for Vietnamese text.

Buyer banking apps and NAPAS transfer descriptions expect plain ASCII letters: "Mua rau cải" is
sent as "Mua rau cai". The rule: Unicode NFD decomposition, drop every combining mark (tones and
vowel hats), then map đ/Đ (which do not decompose) to d/D. Other characters are kept as they are.
"""

from __future__ import annotations

import unicodedata

_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})


def strip_diacritics(text: str) -> str:
    """``strip_diacritics("Chợ Đại Từ") == "Cho Dai Tu"``."""
    if text.isascii():  # the common case, and the parser's hot path
        return text
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept.translate(_D_MAP))
