"""The participant flow without JavaScript: sign-up form, personal page, cancel, details, QR, calendar."""

from __future__ import annotations

import re

import icalendar
from httpx import AsyncClient as Client

from checkin.codes import CheckinKeys, verify
from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of


async def _session(client: Client, **overrides: object) -> dict[str, object]:
    coordinator = await make_account("coordinator")
    activity = await create_activity(
        client, coordinator.headers, **{"start": "2027-10-07T10:00", "exdates": [], **overrides}
    )
    return (await sessions_of(client, activity["id"]))[0]


async def _csrf(client: Client, path: str) -> str:
    page = await client.get(path)
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


async def _sign_up(client: Client, session_id: object, **fields: str) -> object:
    token = await _csrf(client, f"/s/{session_id}?lang=ar")
    data = {
        "name": "Amina",
        "phone": "0151 23456789",
        "email": "",
        "language": "ar",
        "consent": "yes",
        "_csrf_token": token,
        **fields,
    }
    return await client.post(f"/s/{session_id}?lang=ar", data=data, follow_redirects=False)


async def test_form_sign_up_leads_to_my_registration(client: Client) -> None:
    session = await _session(client)
    response = await _sign_up(client, session["id"])
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.match(r"^/r/[A-Za-z0-9_-]{32}\?lang=ar$", location)
    page = await client.get(location)
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "/qr.svg" in page.text


async def test_form_errors_are_shown_next_to_the_fields(client: Client) -> None:
    session = await _session(client)
    response = await _sign_up(client, session["id"], phone="12", consent="")
    assert response.status_code == 400
    assert 'id="phone-error"' in response.text and 'aria-invalid="true"' in response.text
    assert 'value="Amina"' in response.text  # nothing typed is lost
    missing = await _sign_up(client, session["id"], phone="", email="")
    assert missing.status_code == 400 and 'id="phone-error"' in missing.text
    no_consent = await _sign_up(client, session["id"], consent="")
    assert no_consent.status_code == 400 and 'id="consent-error"' in no_consent.text


async def test_form_without_csrf_token_is_refused(client: Client) -> None:
    session = await _session(client)
    await client.get(f"/s/{session['id']}")
    response = await client.post(
        f"/s/{session['id']}", data={"name": "A", "phone": "015123456789", "language": "de", "consent": "yes"}
    )
    assert response.status_code == 403


async def test_cancel_and_change_details_from_the_personal_page(client: Client) -> None:
    session = await _session(client)
    location = (await _sign_up(client, session["id"])).headers["location"]
    token = location.split("/")[2].split("?")[0]
    csrf = await _csrf(client, location)
    saved = await client.post(
        f"/r/{token}/details",
        data={"name": "Amina H.", "phone": "0151 99999999", "email": "", "language": "uk", "_csrf_token": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and "lang=uk" in saved.headers["location"]
    mine = (await client.get(f"/api/v1/registrations/{token}")).json()
    assert mine["phone"] == "+4915199999999" and mine["language"] == "uk" and mine["name"] == "Amina H."
    cancelled = await client.post(f"/r/{token}/cancel", data={"_csrf_token": csrf}, follow_redirects=False)
    assert cancelled.status_code == 303
    assert (await client.get(f"/api/v1/registrations/{token}")).json()["status"] == "cancelled"


async def test_qr_code_carries_a_signed_code_not_the_token(client: Client) -> None:
    session = await _session(client)
    response = await client.post(
        f"/api/v1/sessions/{session['id']}/registrations",
        json={"name": "Oleh", "email": "oleh@example.org", "language": "uk", "consent": True},
    )
    body = response.json()
    svg = await client.get(f"/r/{body['token']}/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.content.startswith(b"<svg")
    png = await client.get(f"/r/{body['token']}/qr.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    page = (await client.get(f"/r/{body['token']}")).text
    assert body["token"] not in re.sub(r'/r/[^/"?]+', "", page)
    from app.settings import get_settings

    keys = CheckinKeys.from_secret(get_settings().secret_key)
    from checkin.codes import sign

    assert verify(sign(body["id"], keys), keys) == body["id"]
    assert (await client.get("/r/not-a-token/qr.svg")).status_code == 404


async def test_person_calendar_lists_own_registrations(client: Client) -> None:
    session = await _session(client)
    body = (
        await client.post(
            f"/api/v1/sessions/{session['id']}/registrations",
            json={"name": "Oleh", "email": "oleh@example.org", "language": "uk", "consent": True, "series": True},
        )
    ).json()
    response = await client.get(f"/ics/r/{body['token']}.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 8
    assert (await client.get("/ics/r/wrong-token.ics")).status_code == 404
