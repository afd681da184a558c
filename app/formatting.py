"""Dates, times and names shown to people, in their language and the activity's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time

from app.i18n import LANGUAGES


def babel_locale(lang: str) -> Locale:
    try:
        return Locale.parse("fa_AF" if lang == "prs" else lang)
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def local_day(instant: datetime, zone: str, lang: str) -> str:
    return format_date(instant.astimezone(ZoneInfo(zone)).date(), format="full", locale=babel_locale(lang))


def local_time(instant: datetime, zone: str, lang: str) -> str:
    return format_time(instant.astimezone(ZoneInfo(zone)), format="short", locale=babel_locale(lang))


def language_name(code: str) -> str:
    """A language's own name (Deutsch, العربية), so people find theirs without reading ours."""
    if code in LANGUAGES:
        return LANGUAGES[code].native_name
    try:
        return (Locale.parse(code).get_display_name(code) or code).capitalize()
    except (ValueError, UnknownLocaleError):
        return code


KIND_ICONS = {"small_group": "👥", "cafe": "☕", "company_visit": "🏭", "coaching": "💬"}
