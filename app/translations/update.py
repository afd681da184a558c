"""Merge the extracted template (messages.pot) and the page translations into the .po files.

    pybabel extract -F babel.cfg -k _ -k gettext -k N_ -k ngettext:1,2 --no-location \\
        -o app/translations/messages.pot .
    python -m app.translations.update
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from app.translations.pages import all_pages

HERE = Path(__file__).parent


def main() -> None:
    pages = all_pages()
    for po_path in sorted(HERE.glob("*/LC_MESSAGES/messages.po")):
        lang = po_path.parent.parent.name
        # A fresh template per catalog: Catalog.update inserts the template's own Message objects for
        # new strings, so setting a translation below would otherwise leak into the next language.
        with (HERE / "messages.pot").open("rb") as handle:
            template = read_po(handle)
        with po_path.open("rb") as handle:
            catalog: Catalog = read_po(handle, locale="fa_AF" if lang == "prs" else lang)
        catalog.update(template, no_fuzzy_matching=True)
        for source, translated in pages.get(lang, {}).items():
            if isinstance(translated, tuple) and len(translated) < catalog.num_plurals:
                translated = translated + (translated[-1],) * (catalog.num_plurals - len(translated))
            message = catalog.get(source if isinstance(source, str) else source[0])
            if message is None:
                catalog.add(source, translated)
            else:
                message.string = translated
                message.flags.discard("fuzzy")
        with po_path.open("wb") as handle:
            write_po(handle, catalog, width=120, omit_header=False, ignore_obsolete=True)


if __name__ == "__main__":
    main()
