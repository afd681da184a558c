"""Rendering pages: the request's language and direction, gettext and the CSRF field."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from gettext import NullTranslations
from typing import Any

from litestar import MediaType, Request, Response
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


def _language_cookies(request: Request[Any, Any, Any], lang: str) -> list[Cookie]:
    if request.query_params.get("lang") == lang and request.cookies.get(LANGUAGE_COOKIE) != lang:
        return [Cookie(key=LANGUAGE_COOKIE, value=lang, max_age=365 * 86400, samesite="lax", path="/")]
    return []


def render(request: Request[Any, Any, Any], template_name: str, status_code: int = 200, **context: Any) -> Template:
    """A page in the request's language, remembering an explicit ``?lang=`` in a cookie."""
    lang = request_language(request)
    return Template(
        template_name=template_name,
        status_code=status_code,
        cookies=_language_cookies(request, lang),
        context=_page_context(request, lang, context),
    )


# Public pages that anyone sees alike, rendered once per distinct content (see render_public).
_PUBLIC_PAGES: OrderedDict[tuple[str, str, str, str], str] = OrderedDict()
_PUBLIC_PAGES_MAX = 128


def render_public(request: Request[Any, Any, Any], template_name: str, **context: Any) -> Response[Any]:
    """Like :func:`render`, but reuses the HTML while the page's content is the same.

    For pages without personal content (no CSRF field, no signed-in user): the key is the
    template, the language, the path and ``repr`` of everything the template is given, so a
    seat taken or a title changed makes a new page at once. Rendering dozens of session
    cards was most of the upcoming page's cost (bench/README.md).
    """
    if request.scope.get("user") is not None:
        return render(request, template_name, **context)
    lang = request_language(request)
    key = (template_name, lang, request.url.path, repr(sorted(context.items())))
    html = _PUBLIC_PAGES.get(key)
    if html is None:
        template = request.app.template_engine.get_template(template_name)  # type: ignore[union-attr]
        html = template.render(**_page_context(request, lang, context))
        _PUBLIC_PAGES[key] = html
        if len(_PUBLIC_PAGES) > _PUBLIC_PAGES_MAX:
            _PUBLIC_PAGES.popitem(last=False)
    else:
        _PUBLIC_PAGES.move_to_end(key)
    return Response(html, media_type=MediaType.HTML, cookies=_language_cookies(request, lang))


def _default_language_name() -> str:
    default = get_settings().default_language
    return LANGUAGES[default].native_name if default in LANGUAGES else default


def _page_context(request: Request[Any, Any, Any], lang: str, context: dict[str, Any]) -> dict[str, Any]:
    gettext, ngettext = gettext_functions(translations(lang))
    return {
        **context,
        "lang": lang,
        "dir": LANGUAGES[lang].direction,
        "languages": LANGUAGES.values(),
        "languages_all": LANGUAGES.values(),
        "default_language_name": _default_language_name(),
        "current_path": request.url.path,
        "user": request.scope.get("user"),
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "Markup": Markup,
        "kind_label": lambda kind: gettext(KIND_LABELS.get(kind, kind)),
        "language_name": language_name,
    }
