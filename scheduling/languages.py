"""Language codes accepted for activities, titles and participants."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError

# Codes Babel does not know but our participants speak.
EXTRA_CODES = {"prs"}  # Dari


@lru_cache(maxsize=256)
def is_language_code(code: str) -> bool:
    if code in EXTRA_CODES:
        return True
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 12:
        return False
    try:
        Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return False
    return True


def pick_text(texts: dict[str, str], lang: str, fallbacks: list[str]) -> str:
    """The text in ``lang``, else in the first fallback that has one, else any."""
    for code in (lang, *fallbacks):
        if texts.get(code):
            return texts[code]
    return next((text for text in texts.values() if text), "")
