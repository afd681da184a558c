"""Pages and messages in Ukrainian, Russian, Turkish and Kurmanji: upcoming list, sign-up form, plural forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from httpx import AsyncClient as Client

from app.i18n import choose_language, parse_accept_language, translations
from notifications.kinds import MessageKind
from notifications.messages import MessageData, render
from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of

# language -> (heading of the upcoming page, Thursday in its own words, sign-up button, consent start, phone error)
EXPECTED = {
    "uk": (
        "Найближчі зустрічі",
        "четвер",
        "Записатися",
        "Ми зберігаємо ваше ім’я",
        "Будь ласка, перевірте номер телефону",
    ),
    "ru": ("Ближайшие встречи", "четверг", "Записаться", "Мы храним ваше имя", "Пожалуйста, проверьте номер телефона"),
    "tr": (
        "Yaklaşan buluşmalar",
        "Perşembe",
        "Kaydol",
        "Adınızı ve telefon numaranızı",
        "Lütfen telefon numarasını kontrol edin",
    ),
    "ku": (
        "Hevdîtinên bê",
        "pêncşem",
        "Xwe qeyd bikin",
        "Em navê we û hejmara telefona we",
        "Ji kerema xwe hejmara telefonê kontrol bikin",
    ),
}

# language -> {seats left: the text shown}, one example per plural form
SEATS_LEFT = {
    "uk": {21: "Залишилося 21 місце", 3: "Залишилося 3 місця", 12: "Залишилося 12 місць"},
    "ru": {21: "Осталось 21 место", 3: "Осталось 3 места", 12: "Осталось 12 мест"},
    "tr": {1: "1 yer kaldı", 12: "12 yer kaldı"},
    "ku": {1: "1 cih maye", 12: "12 cih mane"},
}


@pytest.mark.parametrize("lang", sorted(EXPECTED))
async def test_upcoming_page_speaks_the_language(client: Client, lang: str) -> None:
    heading, thursday, *_ = EXPECTED[lang]
    coordinator = await make_account("coordinator")
    await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    page = await client.get(f"/?lang={lang}")
    assert page.status_code == 200
    assert f'<html lang="{lang}" dir="ltr">' in page.text
    assert heading in page.text
    assert thursday in page.text, "dates are formatted in the page's language"
    assert "Upcoming meetings" not in page.text


@pytest.mark.parametrize("lang", sorted(EXPECTED))
async def test_sign_up_form_speaks_the_language(client: Client, lang: str) -> None:
    _, _, button, consent, phone_error = EXPECTED[lang]
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    session = (await sessions_of(client, activity["id"]))[0]
    form = await client.get(f"/s/{session['id']}?lang={lang}")
    assert form.status_code == 200
    assert button in form.text and consent in form.text
    assert SEATS_LEFT[lang][12] in form.text
    assert "Sign up" not in form.text and "I agree" not in form.text

    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert csrf
    data = {"name": "Olena", "phone": "12", "email": "", "language": lang, "consent": "yes", "_csrf_token": csrf[1]}
    refused = await client.post(f"/s/{session['id']}?lang={lang}", data=data, follow_redirects=False)
    assert refused.status_code == 400
    assert phone_error in refused.text, "the field error is in the person's language"


@pytest.mark.parametrize("lang", sorted(SEATS_LEFT))
def test_seats_left_uses_every_plural_form(lang: str) -> None:
    catalog = translations(lang)
    for count, text in SEATS_LEFT[lang].items():
        assert catalog.ngettext("%(num)d place left", "%(num)d places left", count) % {"num": count} == text


def test_kurmanji_messages_are_translated_with_kurmanji_dates() -> None:
    message = render(
        MessageData(
            kind=MessageKind.confirmed,
            language="ku",
            name="Rojda",
            title="Jiyana kar li Almanyayê",
            starts_at=datetime(2027, 10, 7, 8, 0, tzinfo=UTC),
            ends_at=datetime(2027, 10, 7, 12, 0, tzinfo=UTC),
            timezone="Europe/Berlin",
            place="Nachbarschaftshaus",
            manage_url="https://example.org/r/abc",
        )
    )
    assert message.language == "ku" and message.direction == "ltr"
    assert message.subject == "Cihekî we heye: Jiyana kar li Almanyayê"
    assert "Silav Rojda, cihekî we heye." in message.text
    assert "Kengî: pêncşem" in message.text and "ji 10:00 heta 14:00" in message.text
    assert "Kodê li ber derî nîşan bidin." in message.text


@pytest.mark.parametrize("lang", ["uk", "ru", "tr", "ku"])
def test_messages_for_hosts_are_not_left_in_german(lang: str) -> None:
    message = render(
        MessageData(
            kind=MessageKind.slot_approved,
            language=lang,
            name="Frau Weber",
            title="Werkstatt",
            starts_at=datetime(2027, 10, 7, 8, 0, tzinfo=UTC),
            ends_at=datetime(2027, 10, 7, 10, 0, tzinfo=UTC),
            timezone="Europe/Berlin",
            place="Tor 2",
            manage_url="https://example.org/host",
        )
    )
    assert "Besuchstermin" not in message.subject and "Besuchstermin" not in message.text
    assert "Visit slot" not in message.subject


def test_a_browser_set_to_kurmanji_by_its_iso_639_3_code_gets_kurmanji() -> None:
    assert parse_accept_language("kmr-TR,tr;q=0.8") == ["ku", "tr"]
    assert choose_language(None, None, "kmr", "de") == "ku"
    assert choose_language(None, None, "ckb-IQ,ar;q=0.5", "de") == "ar", "Sorani is not Kurmanji"
