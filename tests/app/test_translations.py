"""Every gettext catalog: it parses and compiles, keeps the placeholders of its source, has working plural
forms, and the languages we call complete leave nothing a participant sees untranslated.

Generic over languages: a new ``<lang>/LC_MESSAGES/messages.po`` is checked without touching this file.
What a participant sees is found by extracting the source code itself (with ``babel.cfg``), so a string
added to a participant page or a message fails here until every complete language has it. Pages and
modules used only by staff and hosts are marked in ``STAFF_ONLY`` and excluded from that one check.
"""

from __future__ import annotations

import gettext
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po
from httpx import AsyncClient as Client

from app.formatting import babel_locale
from app.i18n import LANGUAGES, TRANSLATIONS_DIR, translations
from app.translations import update
from app.translations.pages import all_pages
from notifications.kinds import MessageKind
from notifications.messages import MessageData, render
from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = {path.parent.parent.name: path for path in sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"))}

# Languages we promise in full to participants: every participant page and every message.
COMPLETE = ("de", "ar", "fa", "prs", "uk", "ru", "tr", "ps", "ti", "ku")

# Sources only staff (coordinators, facilitators, admins) and employers' hosts see. Everything else that
# babel.cfg extracts (participant pages, the layout, error pages, sign-up errors, notifications) counts
# as participant-facing, so a new page is required in every complete language unless it is marked here.
STAFF_ONLY = (
    "app/door_pages.py",
    "app/funder/",
    "app/staff/",
    "app/report_pages.py",
    "scheduling/access.py",
    "scheduling/recurrence_builder.py",
    "templates/host/",
    "templates/staff/",
)

# %(name)s, %(num)d, %s, %% — the conversions Python's % operator reads.
PYTHON_FORMAT = re.compile(r"%(?:\(\w+\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE_FIELD = re.compile(r"\{\w*\}")  # {n}: filled in by JavaScript (door screen)
HTML_TAG = re.compile(r"</?([a-zA-Z][\w-]*)")


def catalog_locale(lang: str) -> str:
    return "fa_AF" if lang == "prs" else lang


@cache
def load(lang: str) -> Catalog:
    with CATALOGS[lang].open("rb") as handle:
        return read_po(handle, locale=catalog_locale(lang))


def forms(message: Message) -> tuple[str, ...]:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return tuple(str(text or "") for text in strings)


def translated(message: Message) -> bool:
    return all(forms(message))


def entries(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def placeholders(text: str) -> tuple[Counter[str], Counter[str], Counter[str]]:
    return (
        Counter(PYTHON_FORMAT.findall(text)),
        Counter(BRACE_FIELD.findall(text)),
        Counter(tag.lower() for tag in HTML_TAG.findall(text)),
    )


@cache
def participant_strings() -> frozenset[str]:
    """Every msgid (the singular of a plural) extracted from a source file that is not staff-only."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: set[str] = set()
    for filename, _lineno, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map):
        if filename.replace("\\", "/").startswith(STAFF_ONLY):
            continue
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.add(msgid)
    return frozenset(found)


def test_there_are_catalogs_for_every_complete_language() -> None:
    assert set(COMPLETE) <= set(CATALOGS), sorted(set(COMPLETE) - set(CATALOGS))
    assert set(CATALOGS) <= set(LANGUAGES), "every catalog belongs to a language the pages offer"


@pytest.mark.parametrize("lang", sorted(CATALOGS))
def test_catalog_parses_and_compiles_with_babel_plural_rules(lang: str) -> None:
    catalog = load(lang)
    assert babel_locale(lang).language != "en" or lang == "en", f"Babel does not know the locale of {lang}"
    assert catalog.num_plurals == get_plural(catalog_locale(lang)).num_plurals
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()]
    assert problems == []
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    compiled = gettext.GNUTranslations(buffer)
    assert compiled.gettext("Language") == translations(lang).gettext("Language")


def without_count(found: tuple[Counter[str], Counter[str], Counter[str]]) -> tuple[Counter[str], ...]:
    """The placeholders apart from the count: a plural form may say the number in words (Arabic
    «شخصان», two people), and ``%`` with a dict ignores a key the text does not use."""
    python_format, *rest = found
    return (Counter({spec: n for spec, n in python_format.items() if not spec.startswith("%(num)")}), *rest)


@pytest.mark.parametrize("lang", sorted(CATALOGS))
def test_translations_keep_the_placeholders_of_their_source(lang: str) -> None:
    wrong = []
    for message in entries(load(lang)):
        if isinstance(message.id, tuple):
            source = placeholders(message.id[1])
            for text in filter(None, forms(message)):
                found = placeholders(text)
                count_ok = all(source[0][spec] for spec in found[0] if spec.startswith("%(num)"))
                if without_count(found) != without_count(source) or not count_ok:
                    wrong.append((message.id[1], text))
        elif (text := forms(message)[0]) and placeholders(text) != placeholders(str(message.id)):
            wrong.append((str(message.id), text))
    assert wrong == []


@pytest.mark.parametrize("lang", sorted(CATALOGS))
def test_plural_forms_give_a_text_for_every_count(lang: str) -> None:
    catalog = translations(lang)
    for count in range(0, 202):
        text = catalog.ngettext("%(num)d place left", "%(num)d places left", count) % {"num": count}
        assert str(count) in text


@pytest.mark.parametrize("lang", sorted(CATALOGS))
def test_every_plural_entry_gives_every_form_of_its_language(lang: str) -> None:
    """As many forms as the catalog's Plural-Forms header says, each written (none left empty when one is)."""
    catalog = load(lang)
    wrong = [
        (message.id[0], len(forms(message)))
        for message in entries(catalog)
        if isinstance(message.id, tuple)
        and (len(forms(message)) != catalog.num_plurals or (any(forms(message)) and not all(forms(message))))
    ]
    assert wrong == [], f"{lang} has nplurals={catalog.num_plurals}"


@pytest.mark.parametrize("lang", sorted(set(CATALOGS) & set(all_pages())))
def test_page_modules_write_out_every_plural_form(lang: str) -> None:
    """The page module itself gives every form: the update never fills a missing one with a copy of another."""
    assert update.plural_forms_problems(lang, load(lang).num_plurals, all_pages()[lang]) == []


CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")


@pytest.mark.parametrize("lang", sorted(CATALOGS))
def test_plural_forms_follow_the_cldr_categories_in_order(lang: str) -> None:
    """Each CLDR plural category of the language has one form, in CLDR's order (zero, one, two, few, many,
    other): translators write the forms in that order, and Babel's own Arabic rule swaps the last two."""
    plural = translations(lang).plural  # type: ignore[attr-defined]
    rules = babel_locale(lang).plural_form
    index_of: dict[str, set[int]] = {}
    for count in range(0, 1200):
        index_of.setdefault(rules(count), set()).add(plural(count))
    assert all(len(indexes) == 1 for indexes in index_of.values()), index_of
    in_order = [next(iter(index_of[category])) for category in CLDR_ORDER if category in index_of]
    assert in_order == sorted(in_order), index_of


# Counts of every Arabic plural category: zero, one, two, few (3 to 10), many (11 to 99), other (100 to 102).
ARABIC = {
    ("%(num)s person", "%(num)s people"): {
        1: "شخص واحد",
        2: "شخصان",
        3: "3 أشخاص",
        11: "11 شخصًا",
        99: "99 شخصًا",
        100: "100 شخص",
        103: "103 أشخاص",
        111: "111 شخصًا",
    },
    ("%(num)d place left", "%(num)d places left"): {
        2: "بقي مكانان (2)",
        10: "بقيت 10 أماكن",
        11: "بقي 11 مكانًا",
        100: "بقي 100 مكان",
        102: "بقي 102 مكان",
    },
    ("%(num)s session", "%(num)s sessions"): {
        0: "لا مواعيد",
        1: "موعد واحد",
        2: "موعدان",
        5: "5 مواعيد",
        20: "20 موعدًا",
        200: "200 موعد",
    },
    ("from %(first)s, %(num)s time", "from %(first)s, %(num)s times"): {
        1: "من 1 أكتوبر، مرة واحدة",
        2: "من 1 أكتوبر، مرتين",
        4: "من 1 أكتوبر، 4 مرات",
        12: "من 1 أكتوبر، 12 مرةً",
    },
}


@pytest.mark.parametrize("source", list(ARABIC), ids=lambda source: source[0])
def test_arabic_says_each_count_in_its_own_form(source: tuple[str, str]) -> None:
    catalog = translations("ar")
    for count, expected in ARABIC[source].items():
        assert catalog.ngettext(*source, count) % {"num": count, "first": "1 أكتوبر"} == expected


@pytest.mark.parametrize("lang", sorted(set(CATALOGS) - {"de"}))
def test_no_translation_is_left_in_german(lang: str) -> None:
    german = {message.id: message.string for message in entries(load("de")) if translated(message)}
    leftovers = [
        message.id
        for message in entries(load(lang))
        if translated(message)
        and len(str(message.id).split()) >= 3
        and message.string == german.get(message.id)
        and message.string != message.id
    ]
    assert leftovers == []


@pytest.mark.parametrize("lang", COMPLETE)
def test_complete_languages_translate_everything_participants_see(lang: str) -> None:
    catalog = load(lang)
    required = participant_strings()
    assert len(required) > 100, "the extraction found the participant pages and messages"
    missing = sorted(msgid for msgid in required if (message := catalog.get(msgid)) is None or not translated(message))
    assert missing == [], f"{lang}: run the extraction and python -m app.translations.update, then translate these"


# --- Persian, Dari, Pashto and Tigrinya on the pages and in messages ---------------------------------------

# language -> (direction, heading of the upcoming page, Thursday in its own words, sign-up button, phone error)
PAGES = {
    "fa": ("rtl", "جلسه‌های پیش رو", "پنجشنبه", "ثبت‌نام", "لطفاً شماره تلفن را بررسی کنید"),
    "prs": ("rtl", "جلسه‌های آینده", "پنجشنبه", "ثبت نام", "لطفاً نمبر تیلفون را بررسی کنید"),
    "ps": ("rtl", "راتلونکې غونډې", "پينځنۍ", "نوم لیکنه", "مهرباني وکړئ د تلیفون شمېره وګورئ"),
    "ti": ("ltr", "ዝመጽእ ርክባት", "ሓሙስ", "ተመዝገቡ", "በጃኹም ቁጽሪ ተሌፎን ኣረጋግጹ"),
}

# language -> {seats left: the text shown}, one example per plural form
SEATS_LEFT = {
    "fa": {1: "1 جای خالی مانده", 12: "12 جای خالی مانده"},
    "prs": {1: "1 جای خالی مانده", 12: "12 جای خالی مانده"},
    "ps": {1: "1 ځای پاتې دی", 12: "12 ځایونه پاتې دي"},
    "ti": {1: "1 ቦታ ተሪፉ", 12: "12 ቦታታት ተሪፎም"},
}


@pytest.mark.parametrize("lang", sorted(PAGES))
async def test_pages_speak_persian_dari_pashto_and_tigrinya(client: Client, lang: str) -> None:
    direction, heading, thursday, button, phone_error = PAGES[lang]
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    upcoming = await client.get(f"/?lang={lang}")
    assert upcoming.status_code == 200
    assert f'<html lang="{lang}" dir="{direction}">' in upcoming.text
    assert heading in upcoming.text and thursday in upcoming.text
    assert "Upcoming meetings" not in upcoming.text

    session = (await sessions_of(client, activity["id"]))[0]
    form = await client.get(f"/s/{session['id']}?lang={lang}")
    assert button in form.text and SEATS_LEFT[lang][12] in form.text
    assert "Sign up" not in form.text and "I agree" not in form.text
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert csrf
    data = {"name": "Zarmina", "phone": "12", "email": "", "language": lang, "consent": "yes", "_csrf_token": csrf[1]}
    refused = await client.post(f"/s/{session['id']}?lang={lang}", data=data, follow_redirects=False)
    assert refused.status_code == 400
    assert phone_error in refused.text, "the field error is in the person's language"


@pytest.mark.parametrize("lang", sorted(SEATS_LEFT))
def test_seats_left_in_every_plural_form(lang: str) -> None:
    catalog = translations(lang)
    for count, text in SEATS_LEFT[lang].items():
        assert catalog.ngettext("%(num)d place left", "%(num)d places left", count) % {"num": count} == text


@pytest.mark.parametrize(
    ("lang", "direction", "subject", "lead", "when"),
    [
        ("ps", "rtl", "تاسو ځای لرئ: Arbeitsleben", "سلام Zarmina، تاسو ځای لرئ.", "کله: پينځنۍ"),
        ("prs", "rtl", "جای شما ثبت شد: Arbeitsleben", "سلام Zarmina، جای شما ثبت شد.", "چه وقت: پنجشنبه"),
        ("ti", "ltr", "ቦታ ኣለኩም: Arbeitsleben", "ሰላም Zarmina፣ ቦታ ኣለኩም።", "መዓስ: ሓሙስ"),
    ],
)
def test_confirmation_messages_in_pashto_dari_and_tigrinya(
    lang: str, direction: str, subject: str, lead: str, when: str
) -> None:
    message = render(
        MessageData(
            kind=MessageKind.confirmed,
            language=lang,
            name="Zarmina",
            title="Arbeitsleben",
            starts_at=datetime(2027, 10, 7, 8, 0, tzinfo=UTC),
            ends_at=datetime(2027, 10, 7, 12, 0, tzinfo=UTC),
            timezone="Europe/Berlin",
            place="Nachbarschaftshaus",
            manage_url="https://example.org/r/abc",
        )
    )
    assert message.language == lang and message.direction == direction
    assert f'<html lang="{lang}" dir="{direction}">' in message.html
    assert message.subject == subject
    assert lead in message.text and when in message.text and lead in message.sms
    assert "https://example.org/r/abc" in message.text


def test_update_keeps_each_language_to_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new string translated in de.py stays empty in a language processed after German."""
    template = Catalog()
    template.add("Each kind of activity on its own")
    with (tmp_path / "messages.pot").open("wb") as handle:
        write_po(handle, template)
    for lang in ("de", "fa", "ps"):
        (tmp_path / lang / "LC_MESSAGES").mkdir(parents=True)
        with (tmp_path / lang / "LC_MESSAGES" / "messages.po").open("wb") as handle:
            write_po(handle, Catalog(locale=lang))
    monkeypatch.setattr(update, "HERE", tmp_path)
    monkeypatch.setattr(update, "all_pages", lambda: {"de": {"Each kind of activity on its own": "Jede Art für sich"}})
    update.main()

    def text(lang: str) -> object:
        with (tmp_path / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            message = read_po(handle, locale=lang).get("Each kind of activity on its own")
        assert message is not None
        return message.string

    assert text("de") == "Jede Art für sich"
    assert text("fa") == "" and text("ps") == ""


def test_update_refuses_a_plural_entry_with_forms_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two forms for Arabic are not padded to six with copies: the update stops and names the entry."""
    template = Catalog()
    template.add(("%(num)s chair", "%(num)s chairs"))
    with (tmp_path / "messages.pot").open("wb") as handle:
        write_po(handle, template)
    (tmp_path / "ar" / "LC_MESSAGES").mkdir(parents=True)
    with (tmp_path / "ar" / "LC_MESSAGES" / "messages.po").open("wb") as handle:
        write_po(handle, Catalog(locale="ar"))
    monkeypatch.setattr(update, "HERE", tmp_path)
    monkeypatch.setattr(update, "all_pages", lambda: {"ar": {("%(num)s chair", "%(num)s chairs"): ("كرسي", "كراسي")}})
    with pytest.raises(update.WrongPluralForms, match="'%\\(num\\)s chair' has 2 forms, needs 6"):
        update.main()
