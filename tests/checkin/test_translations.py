"""The door screen, the staff dashboard and the report pages are fully translated into German and Arabic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from httpx import AsyncClient as Client

from app.translations.pages import all_pages
from tests.checkin.helpers import a_door, qr, register
from tests.checkin.test_door_page import sign_in, submit

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "app/door_pages.py": "python",
    "app/report_pages.py": "python",
    "templates/staff/door.html": "jinja2",
    "templates/staff/home.html": "jinja2",
    "templates/staff/reports.html": "jinja2",
    "templates/staff/reports_period.html": "jinja2",
    "templates/staff/attendance.html": "jinja2",
}
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}


def page_strings() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for path, method in SOURCES.items():
        options = {"extensions": "jinja2.ext.i18n"} if method == "jinja2" else {}
        for _, message, _, _ in extract_from_file(method, ROOT / path, keywords=KEYWORDS, options=options):
            if isinstance(message, tuple):
                found.add((message[0], message[1]))
            elif not re.fullmatch(r"[a-z_]+", message):  # a dict key inside gettext(MESSAGES["key"]), not text
                found.add(message)
    return found


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_every_string_of_these_pages_is_translated(lang: str) -> None:
    catalog = all_pages()[lang]
    missing = sorted(str(message) for message in page_strings() if message not in catalog)
    assert missing == []


async def test_the_door_speaks_german_and_arabic(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    await sign_in(client, door.facilitator)
    german = await client.get(f"/staff/sessions/{door.session_id}/door", params={"lang": "de"})
    assert "Meinen letzten Check-in zurücknehmen" in german.text
    answer = await submit(client, door, "/checkin", code=qr(person["id"]))
    assert "Eingecheckt" in answer.text
    arabic = await client.get(f"/staff/sessions/{door.session_id}/door", params={"lang": "ar"})
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert "تراجع عن آخر تسجيل حضور قمت به" in arabic.text
    again = await submit(client, door, "/checkin", code=qr(person["id"]))
    assert "مسجَّل الحضور من قبل" in again.text
