"""Rendering pages: the request's language and direction, gettext and the CSRF field."""

from __future__ import annotations

from collections.abc import Callable
from gettext import NullTranslations
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template
from markupsafe import Markup

from app.formatting import language_name
from app.i18n import LANGUAGE_COOKIE, LANGUAGES, choose_language, translations
from app.settings import get_settings


def request_language(request: Request[Any, Any, Any]) -> str:
    return choose_language(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
        get_settings().default_language,
    )


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


KIND_LABELS = {
    "small_group": N_("Small group"),
    "cafe": N_("Meeting café"),
    "company_visit": N_("Company visit"),
    "coaching": N_("Coaching"),
}


def gettext_functions(catalog: NullTranslations) -> tuple[Callable[..., str], Callable[..., str]]:
    """``_("Hello, %(name)s", name=...)`` and ``ngettext(one, many, n, **values)`` for templates."""

    def gettext(message: str, **values: Any) -> str:
        text = catalog.gettext(message)
        return text % values if values else text

    def ngettext(singular: str, plural: str, count: int, **values: Any) -> str:
        return catalog.ngettext(singular, plural, count) % {"num": count, **values}

    return gettext, ngettext


def render(request: Request[Any, Any, Any], template_name: str, status_code: int = 200, **context: Any) -> Template:
    """A page in the request's language, remembering an explicit ``?lang=`` in a cookie."""
    lang = request_language(request)
    gettext, ngettext = gettext_functions(translations(lang))
    cookies: list[Cookie] = []
    if request.query_params.get("lang") == lang and request.cookies.get(LANGUAGE_COOKIE) != lang:
        cookies.append(Cookie(key=LANGUAGE_COOKIE, value=lang, max_age=365 * 86400, samesite="lax", path="/"))
    return Template(
        template_name=template_name,
        status_code=status_code,
        cookies=cookies,
        context={
            **context,
            "lang": lang,
            "dir": LANGUAGES[lang].direction,
            "languages": LANGUAGES.values(),
            "languages_all": LANGUAGES.values(),
            "current_path": request.url.path,
            "user": request.scope.get("user"),
            "_": gettext,
            "gettext": gettext,
            "ngettext": ngettext,
            "Markup": Markup,
            "kind_label": lambda kind: gettext(KIND_LABELS.get(kind, kind)),
            "language_name": language_name,
        },
    )
