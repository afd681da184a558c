"""Languages, text direction and gettext catalogs for pages and messages.

Source strings are English. Catalogs live in ``app/translations/<lang>/LC_MESSAGES/
messages.po`` and are compiled in memory on first use, so no binary files are committed.
"""

from __future__ import annotations

import gettext as gettext_module
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
LANGUAGE_COOKIE = "tp_lang"


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    native_name: str
    rtl: bool = False

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("de", "Deutsch"),
        Language("en", "English"),
        Language("ar", "العربية", rtl=True),
        Language("fa", "فارسی", rtl=True),
        Language("prs", "دری", rtl=True),
        Language("ps", "پښتو", rtl=True),
        Language("uk", "Українська"),
        Language("ru", "Русский"),
        Language("tr", "Türkçe"),
        Language("ti", "ትግርኛ"),
        Language("so", "Soomaali"),
        Language("ku", "Kurdî"),
    )
}


# Browser tags that name one of our languages by another code: Kurmanji's ISO 639-3 code is "kmr", ours "ku".
ALIASES = {"kmr": "ku"}


def is_supported(code: str | None) -> bool:
    return code is not None and code in LANGUAGES


@lru_cache(maxsize=32)
def translations(code: str) -> gettext_module.NullTranslations:
    """The catalog of one language; English and unknown codes fall back to the source text."""
    po_path = TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext_module.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=code if code != "prs" else "fa_AF")
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def parse_accept_language(header: str | None) -> list[str]:
    """Language codes from an Accept-Language header, best first."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag.strip().lower()))
    codes: list[str] = []
    for _, _, tag in sorted(weighted):
        primary = tag.split("-")[0]
        code = "prs" if tag in ("fa-af", "prs") else ALIASES.get(primary, primary)
        if code not in codes:
            codes.append(code)
    return codes


def choose_language(query: str | None, cookie: str | None, accept_language: str | None, default: str) -> str:
    """``?lang=`` first, then the remembered choice, then the browser's, then the default."""
    for candidate in (query, cookie):
        if is_supported(candidate):
            return candidate  # type: ignore[return-value]
    for code in parse_accept_language(accept_language):
        if is_supported(code):
            return code
    return default if is_supported(default) else "de"
