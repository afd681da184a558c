"""Page translations kept as data, one module per language (``de.py``, ``ar.py``, …).

Each module defines ``PAGES: Translations``. ``python -m app.translations.update`` merges them
into the gettext catalogs, so that translators can work on one language without touching the others.
"""

from __future__ import annotations

import importlib
import pkgutil

Translations = dict[str | tuple[str, str], str | tuple[str, ...]]


def all_pages() -> dict[str, Translations]:
    """Every language module in this package, by language code."""
    found: dict[str, Translations] = {}
    for module in pkgutil.iter_modules(__path__):
        found[module.name] = importlib.import_module(f"{__name__}.{module.name}").PAGES
    return found
