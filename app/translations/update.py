"""Merge the extracted template (messages.pot) and the page translations into the .po files.

    pybabel extract -F babel.cfg -k _ -k gettext -k N_ -k ngettext:1,2 --no-location \\
        -o app/translations/messages.pot .
    python -m app.translations.update
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from app.translations.pages import Translations, all_pages

HERE = Path(__file__).parent

# Plural rules that differ from Babel's own table. Babel's Arabic rule swaps the last two forms
# (python-babel/babel#816): CLDR, GNU gettext, Weblate and Transifex order them zero, one, two,
# few (3 to 10), many (11 to 99), other (100 to 102 and so on), and so do our Arabic page translations.
# Babel has no rule for Tigrinya and falls back to English's; CLDR (and MediaWiki, Weblate) use the
# singular for 0 as well, as in Amharic.
PLURAL_FORMS = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    "ti": "nplurals=2; plural=(n > 1);",
}


class WrongPluralForms(SystemExit):
    """A page module gives a plural entry more or fewer forms than its language's Plural-Forms header."""


def plural_forms_problems(lang: str, num_plurals: int, pages: Translations) -> list[str]:
    """The plural entries of a page module that do not give exactly ``num_plurals`` forms."""
    return [
        f"{lang}: {source[0]!r} has {len(translated) if isinstance(translated, tuple) else 1} forms, needs {num_plurals}"
        for source, translated in pages.items()
        if isinstance(source, tuple) and (not isinstance(translated, tuple) or len(translated) != num_plurals)
    ]


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
        if lang in PLURAL_FORMS:
            catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[lang])]
        catalog.update(template, no_fuzzy_matching=True)
        problems = plural_forms_problems(lang, catalog.num_plurals, pages.get(lang, {}))
        if problems:  # every form must be written by a person, never copied from another one
            raise WrongPluralForms("\n".join(problems))
        for source, translated in pages.get(lang, {}).items():
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
