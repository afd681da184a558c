"""The door screen /staff/sessions/{id}/door, driven as a browser without JavaScript would,
and as door.js does (the same forms with ``Accept: application/json``)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient, Response

from app.i18n import translations
from app.settings import RateLimit, get_settings
from checkin import controllers as checkin_api
from checkin.tables import Attendance, DoorScan
from scheduling.access import NOT_YOUR_ACTIVITY
from tests.checkin.helpers import Door, a_door, attendance_rows, qr, register, typed
from tests.factories import PASSWORD, Account, make_account

JSON = {"accept": "application/json"}
STATIC = Path(__file__).resolve().parents[2] / "templates" / "static"


async def sign_in(client: AsyncClient, account: Account) -> None:
    page = await client.get("/staff/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    response = await client.post(
        "/staff/login",
        data={"email": account.email, "password": PASSWORD, "next": "/staff", "_csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code in (302, 303), response.text


def door_url(door: Door, rest: str = "") -> str:
    return f"/staff/sessions/{door.session_id}/door{rest}"


async def csrf_token(client: AsyncClient, door: Door) -> str:
    page = await client.get(door_url(door))
    assert page.status_code == 200, page.text
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


async def at_the_door(client: AsyncClient) -> Door:
    door = await a_door(client)
    await sign_in(client, door.facilitator)
    return door


async def submit(client: AsyncClient, door: Door, action: str, **fields: Any) -> Response:
    """Post a form of the door page as a browser does, with the page's CSRF field."""
    fields.setdefault("_csrf_token", await csrf_token(client, door))
    return await client.post(door_url(door, action), data=fields)


async def fetch(client: AsyncClient, door: Door, action: str, **fields: Any) -> Response:
    """Post as door.js does: the CSRF token in the x-csrftoken header, JSON back."""
    headers = {**JSON, "x-csrftoken": await csrf_token(client, door)}
    return await client.post(door_url(door, action), data=fields, headers=headers)


def banner(page: Response) -> str:
    match = re.search(r'<div class="banner banner-(\w+)"(?: data-result="(\w+)")?', page.text)
    assert match, "the page shows a result banner"
    return match.group(2) or match.group(1)


def count(page: Response, name: str) -> int:
    match = re.search(rf'data-count="{name}">(\d+)<', page.text)
    assert match
    return int(match.group(1))


# --- who may open the door ----------------------------------------------------------------


async def test_the_assigned_facilitator_sees_the_door(client: AsyncClient) -> None:
    door = await at_the_door(client)
    await register(client, door.session_id, 1, name="Amina Haddad")
    page = await client.get(door_url(door))
    assert page.status_code == 200
    assert 'role="status"' in page.text and 'aria-live="polite"' in page.text
    assert "Amina Haddad" in page.text
    assert count(page, "expected") == 1 and count(page, "checked_in") == 0
    assert 'data-csrf="' in page.text
    assert "/api/" not in page.text  # the page posts to its own CSRF-protected routes only


async def test_a_coordinator_may_open_any_door(client: AsyncClient) -> None:
    door = await a_door(client)
    await sign_in(client, door.coordinator)
    assert (await client.get(door_url(door))).status_code == 200


async def test_a_facilitator_of_another_activity_gets_403(client: AsyncClient) -> None:
    door = await a_door(client)
    await sign_in(client, await make_account("facilitator"))
    assert (await client.get(door_url(door))).status_code == 403


async def test_the_refusal_says_whom_to_ask_in_the_persons_language(client: AsyncClient) -> None:
    door = await a_door(client)
    await sign_in(client, await make_account("facilitator"))
    english = await client.get(door_url(door, "?lang=en"))
    assert english.status_code == 403
    assert "ask a coordinator to add you to this activity" in english.text
    assert 'href="/staff"' in english.text  # the staff error page, back to the staff start page
    german = await client.get(door_url(door, "?lang=de"))
    assert german.status_code == 403 and "Bitten Sie die Koordination" in german.text
    arabic = await client.get(door_url(door, "?lang=ar"))
    assert arabic.status_code == 403 and "اطلب من أحد المنسقين" in arabic.text and 'dir="rtl"' in arabic.text


async def test_any_facilitator_runs_the_door_of_an_activity_nobody_is_assigned_to(client: AsyncClient) -> None:
    door = await a_door(client, facilitator_ids=[])
    person = await register(client, door.session_id, 1, name="Amina Haddad")
    await sign_in(client, await make_account("facilitator"))
    page = await client.get(door_url(door))
    assert page.status_code == 200 and "Amina Haddad" in page.text
    scanned = await submit(client, door, "/checkin", code=qr(person["id"]))
    assert scanned.status_code == 200 and banner(scanned) == "ok"
    walked = await fetch(client, door, "/walk-ins", name="Zoe", language="de")
    assert walked.status_code == 201, walked.text
    assert await attendance_rows(person["id"]) == 1


async def test_a_host_gets_403(client: AsyncClient) -> None:
    door = await a_door(client)
    await sign_in(client, await make_account("host"))
    assert (await client.get(door_url(door))).status_code == 403


async def test_signed_out_goes_to_the_login_page(client: AsyncClient) -> None:
    door = await a_door(client)
    response = await client.get(door_url(door), headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"] == f"/staff/login?next={door_url(door)}"


async def test_an_unknown_session_is_404(client: AsyncClient) -> None:
    door = await a_door(client)
    await sign_in(client, door.coordinator)
    assert (await client.get("/staff/sessions/999999/door")).status_code == 404


async def test_the_language_picker_after_a_post_leads_back_to_the_door(client: AsyncClient) -> None:
    door = await at_the_door(client)
    response = await client.get(door_url(door, "/checkin"), params={"lang": "ar"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == door_url(door, "?lang=ar")
    page = await client.get(door_url(door), params={"lang": "ar"})
    assert '<html lang="ar" dir="rtl">' in page.text


# --- typed codes ----------------------------------------------------------------------------


async def test_a_typed_short_code_checks_in_then_says_already(client: AsyncClient) -> None:
    door = await at_the_door(client)
    person = await register(client, door.session_id, 1, name="Amina Haddad")
    first = await submit(client, door, "/checkin", code=typed(person["id"]).lower())
    assert first.status_code == 200
    assert banner(first) == "ok"
    assert "Amina Haddad" in first.text
    assert count(first, "checked_in") == 1
    second = await submit(client, door, "/checkin", code=typed(person["id"]))
    assert banner(second) == "already"
    assert "banner-warn" in second.text
    assert await attendance_rows(person["id"]) == 1


async def test_a_garbage_code_is_invalid(client: AsyncClient) -> None:
    door = await at_the_door(client)
    page = await submit(client, door, "/checkin", code="nonsense!")
    assert banner(page) == "invalid"
    assert "banner-bad" in page.text
    assert [row["outcome"] for row in await DoorScan.select(DoorScan.outcome)] == ["invalid"]


async def test_another_sessions_qr_code_is_the_wrong_session(client: AsyncClient) -> None:
    door = await at_the_door(client)
    elsewhere = await register(client, int(door.sessions[1]["id"]), 1)
    page = await submit(client, door, "/checkin", code=qr(elsewhere["id"]))
    assert banner(page) == "wrong_session"
    assert await attendance_rows(elsewhere["id"]) == 0


async def test_a_cancelled_registration_is_cancelled(client: AsyncClient) -> None:
    door = await at_the_door(client)
    person = await register(client, door.session_id, 1)
    assert (await client.delete(f"/api/v1/registrations/{person['token']}")).status_code in (200, 204)
    page = await submit(client, door, "/checkin", code=qr(person["id"]))
    assert banner(page) == "cancelled"


async def test_an_empty_form_asks_for_a_code(client: AsyncClient) -> None:
    door = await at_the_door(client)
    page = await submit(client, door, "/checkin", code="  ")
    assert page.status_code == 400
    assert "banner-bad" in page.text


# --- the list -------------------------------------------------------------------------------


async def test_search_by_name_and_check_in_with_the_button(client: AsyncClient) -> None:
    door = await at_the_door(client)
    await register(client, door.session_id, 1, name="Amina Haddad")
    person = await register(client, door.session_id, 2, name="Dmytro Koval")
    found = await client.get(door_url(door), params={"q": "kov"})
    assert "Dmytro Koval" in found.text and "Amina Haddad" not in found.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', found.text)
    nonce = re.search(
        rf'name="client_nonce" value="(\w+)">\s*<input type="hidden" name="registration_id" value="{person["id"]}"',
        found.text,
    )
    assert token and nonce
    form = {"registration_id": person["id"], "client_nonce": nonce.group(1), "_csrf_token": token.group(1)}
    page = await client.post(door_url(door, "/checkin"), data={**form, "q": "kov"})
    assert banner(page) == "ok"
    assert re.search(rf'<li class="in" data-id="{person["id"]}"', page.text)
    assert "Amina Haddad" not in page.text  # the search is kept
    method = await Attendance.select(Attendance.method).where(Attendance.registration == person["id"]).first()
    assert method == {"method": "name"}
    # the browser sends the same form again (reload): the nonce makes it harmless
    again = await client.post(door_url(door, "/checkin"), data=form)
    assert banner(again) == "ok"
    assert await attendance_rows(person["id"]) == 1


# --- walk-ins, undo, head-count ---------------------------------------------------------------


async def test_a_walk_in_is_registered_and_checked_in(client: AsyncClient) -> None:
    door = await at_the_door(client)
    page = await submit(client, door, "/walk-ins", name="Samir Aziz", language="ar", phone="")
    assert page.status_code == 201
    assert banner(page) == "ok"
    assert count(page, "walk_ins") == 1 and count(page, "checked_in") == 1 and count(page, "expected") == 0
    assert re.search(r'<li class="in" data-id="\d+" data-name="samir aziz"', page.text)


async def test_a_walk_in_without_a_name_keeps_the_form(client: AsyncClient) -> None:
    door = await at_the_door(client)
    page = await submit(client, door, "/walk-ins", name=" ", language="ar", phone="0151 2345678")
    assert page.status_code == 400
    assert 'class="field-error"' in page.text
    assert 'value="0151 2345678"' in page.text


async def test_undo_takes_back_the_last_check_in(client: AsyncClient) -> None:
    door = await at_the_door(client)
    person = await register(client, door.session_id, 1, name="Amina Haddad")
    await submit(client, door, "/checkin", code=typed(person["id"]))
    page = await submit(client, door, "/undo")
    assert page.status_code == 200
    assert "banner-info" in page.text and "Amina Haddad" in page.text
    assert count(page, "checked_in") == 0
    assert await attendance_rows(person["id"]) == 0
    nothing = await submit(client, door, "/undo")
    assert nothing.status_code == 409
    assert "banner-warn" in nothing.text


async def test_the_head_count_goes_up_and_down_but_not_below_zero(client: AsyncClient) -> None:
    door = await at_the_door(client)
    assert count(await submit(client, door, "/head-count", delta="1"), "anonymous") == 1
    assert count(await submit(client, door, "/head-count", delta="1"), "anonymous") == 2
    assert count(await submit(client, door, "/head-count", delta="-1"), "anonymous") == 1
    await submit(client, door, "/head-count", delta="-1")
    below = await submit(client, door, "/head-count", delta="-1")
    assert below.status_code == 409
    assert count(below, "anonymous") == 0


# --- door.js: JSON answers, the offline queue's resend ----------------------------------------


async def test_json_scan_with_a_client_nonce_is_idempotent(client: AsyncClient) -> None:
    door = await at_the_door(client)
    person = await register(client, door.session_id, 1, name="Amina Haddad")
    nonce = str(uuid.uuid4())
    scanned_at = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)
    fields = {"code": qr(person["id"]), "client_nonce": nonce, "scanned_at": scanned_at.isoformat()}
    first = await fetch(client, door, "/checkin", **fields)
    assert first.status_code == 200
    body = first.json()
    assert body["banner"]["result"] == "ok" and body["banner"]["tone"] == "ok" and body["banner"]["icon"]
    assert body["counts"] == {"expected": 1, "checked_in": 1, "walk_ins": 0, "anonymous": 0}
    assert body["person"]["id"] == person["id"] and body["person"]["time"]
    resent = await fetch(client, door, "/checkin", **fields)
    assert resent.json()["banner"]["result"] == "ok"  # the first answer, not "already"
    assert await attendance_rows(person["id"]) == 1
    assert await DoorScan.count().where(DoorScan.client_nonce == nonce) == 1
    row = await Attendance.select(Attendance.checked_in_at).where(Attendance.registration == person["id"]).first()
    assert row is not None and abs(row["checked_in_at"] - scanned_at) < timedelta(seconds=1)
    other = await fetch(client, door, "/checkin", code=qr(person["id"]), client_nonce=str(uuid.uuid4()))
    assert other.json()["banner"]["result"] == "already"


async def test_json_answers_for_walk_ins_undo_and_counts(client: AsyncClient) -> None:
    door = await at_the_door(client)
    walk_in = await fetch(client, door, "/walk-ins", name="Samir Aziz", language="ar")
    assert walk_in.status_code == 201
    assert walk_in.json()["counts"]["walk_ins"] == 1
    undone = await fetch(client, door, "/undo")
    assert undone.json()["banner"]["tone"] == "info"
    assert undone.json()["person"]["time"] == ""
    counted = await fetch(client, door, "/head-count", delta="1")
    assert counted.json()["counts"]["anonymous"] == 1
    state = await client.get(door_url(door), headers=JSON)
    assert state.json()["counts"]["anonymous"] == 1 and state.json()["checked_in"] == {}


async def test_json_errors_say_whether_to_retry(client: AsyncClient) -> None:
    door = await a_door(client)
    await sign_in(client, await make_account("facilitator"))
    page = await client.get("/staff/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    forbidden = await client.post(
        door_url(door, "/checkin"), data={"code": "ABCDEFG"}, headers={**JSON, "x-csrftoken": token.group(1)}
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["retry"] is False  # a queued scan is dropped, not resent for ever
    said = translations(get_settings().default_language).gettext(NOT_YOUR_ACTIVITY)  # no ?lang: the default
    assert forbidden.json()["banner"]["title"] == said
    stale = await client.post(door_url(door, "/checkin"), data={"code": "ABCDEFG"}, headers=JSON)
    assert stale.status_code == 403
    assert stale.json()["retry"] is True


async def test_a_form_post_without_the_csrf_token_is_refused(client: AsyncClient) -> None:
    door = await at_the_door(client)
    person = await register(client, door.session_id, 1)
    await client.get(door_url(door))
    response = await client.post(door_url(door, "/checkin"), data={"code": qr(person["id"])})
    assert response.status_code == 403
    forged = await client.post(door_url(door, "/checkin"), data={"code": qr(person["id"]), "_csrf_token": "0" * 128})
    assert forged.status_code == 403
    assert await attendance_rows(person["id"]) == 0


async def test_typed_codes_are_rate_limited_on_the_page_too(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkin_api, "TYPED_CODE_LIMIT", RateLimit(count=3, period_seconds=3600))
    door = await at_the_door(client)
    person = await register(client, door.session_id, 1)
    token = await csrf_token(client, door)
    statuses = [
        (await client.post(door_url(door, "/checkin"), data={"code": "2222222", "_csrf_token": token})).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    limited = await client.post(door_url(door, "/checkin"), data={"code": typed(person["id"]), "_csrf_token": token})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "banner-bad" in limited.text
    scanned = await client.post(door_url(door, "/checkin"), data={"code": qr(person["id"]), "_csrf_token": token})
    assert banner(scanned) == "ok"  # QR codes are not limited


def test_door_js_is_small_and_calls_no_api() -> None:
    script = (STATIC / "door.js").read_bytes()
    assert len(script) < 8 * 1024
    assert b"/api/" not in script
    assert b"BarcodeDetector" in script and b"randomUUID" in script and b"localStorage" in script
