"""Vietnamese (default) and English text of the pages, as plain dicts.

Plain dicts rather than Babel/gettext: two languages and a few hundred strings need no
extraction or compile step, the catalogue is ordinary typed Python, and a test checks that both
languages have the same keys and the same ``{placeholders}``. Language comes from ``?lang=`` (which
also sets the cookie), then the ``lang`` cookie, then Vietnamese.
"""

from __future__ import annotations

from dataclasses import dataclass

from merchant_app.pages.catalogue import EN, VI

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE_S = 365 * 24 * 3600

CATALOGUES: dict[str, dict[str, str]] = {"vi": VI, "en": EN}


@dataclass(frozen=True)
class Translator:
    lang: str

    def __call__(self, key: str, **values: object) -> str:
        text = CATALOGUES[self.lang].get(key) or CATALOGUES[DEFAULT_LANGUAGE][key]
        return text.format(**values) if values else text


def pick_language(query_lang: str | None, cookie_lang: str | None) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return str(candidate)
    return DEFAULT_LANGUAGE
