"""Sign-up without an account, capacity, waitlists and the personal link, through the API."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from httpx import AsyncClient as Client

from app.settings import get_settings
from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of

PERSON = {"name": "Amina Haddad", "phone": "0151 23456789", "language": "ar", "consent": True}


async def a_session(client: Client, **overrides: Any) -> tuple[dict[str, Any], dict[str, Any], Any]:
    coordinator = await make_account("coordinator")
    activity = await create_activity(
        client, coordinator.headers, **{"start": "2027-10-07T10:00", "exdates": [], **overrides}
    )
    return activity, (await sessions_of(client, activity["id"]))[0], coordinator


async def sign_up(client: Client, session_id: int, **person: Any) -> Any:
    return await client.post(f"/api/v1/sessions/{session_id}/registrations", json={**PERSON, **person})


def phone(n: int) -> str:
    return f"+49151{n:08d}"


async def test_sign_up_gives_a_personal_token_and_links(client: Client) -> None:
    _, session, _ = await a_session(client)
    response = await sign_up(client, session["id"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "confirmed"
    assert len(body["token"]) >= 32  # 192 random bits, URL-safe
    assert body["manage_url"].endswith(f"/r/{body['token']}")
    assert body["qr_url"].endswith(f"/r/{body['token']}/qr.svg")
    assert body["ics_url"].endswith(f"/ics/r/{body['token']}.ics")
    mine = (await client.get(f"/api/v1/registrations/{body['token']}")).json()
    assert mine["phone"] == "+4915123456789"
    assert mine["session"]["id"] == session["id"] and mine["session"]["confirmed"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"phone": "call me"}, "phone"),
        ({"phone": None, "email": None}, "phone"),
        ({"email": "not-an-address", "phone": None}, "email"),
        ({"consent": False}, "consent"),
        ({"language": "zz-qq"}, "language"),
        ({"name": "   "}, "name"),
    ],
)
async def test_bad_sign_up_is_a_400_naming_the_field(client: Client, change: dict[str, Any], field: str) -> None:
    _, session, _ = await a_session(client)
    response = await sign_up(client, session["id"], **change)
    assert response.status_code == 400, response.text
    assert response.json()["extra"]["field"] == field


async def test_waitlist_in_arrival_order_and_cancellation_promotes_the_first(client: Client) -> None:
    _, session, coordinator = await a_session(client, capacity=2)
    results = [(await sign_up(client, session["id"], phone=phone(i))).json() for i in range(5)]
    assert [r["status"] for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert [r.get("waitlist_position") for r in results[2:]] == [1, 2, 3]
    cancelled = await client.delete(f"/api/v1/registrations/{results[0]['token']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    promoted = (await client.get(f"/api/v1/registrations/{results[2]['token']}")).json()
    assert promoted["status"] == "confirmed"
    assert (await client.get(f"/api/v1/registrations/{results[4]['token']}")).json()["waitlist_position"] == 2
    history = (
        await client.get(f"/api/v1/staff/registrations/{results[2]['id']}/history", headers=coordinator.headers)
    ).json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [("", "waitlisted"), ("waitlisted", "confirmed")]


async def test_full_without_waitlist_is_a_409(client: Client) -> None:
    _, session, _ = await a_session(client, capacity=1, waitlist=False)
    assert (await sign_up(client, session["id"], phone=phone(1))).status_code == 201
    full = await sign_up(client, session["id"], phone=phone(2))
    assert full.status_code == 409 and "full" in full.json()["detail"]


async def test_same_phone_twice_gets_the_existing_registration_without_its_token(client: Client) -> None:
    _, session, _ = await a_session(client)
    first = (await sign_up(client, session["id"])).json()
    again = await sign_up(client, session["id"], name="Amina H.", phone="+49 151 23456789")
    assert again.status_code == 200
    assert again.json()["id"] == first["id"] and again.json()["already_registered"] is True
    assert "token" not in again.json()
    assert (await client.get(f"/api/v1/sessions/{session['id']}")).json()["confirmed"] == 1


async def test_same_email_twice_is_recognised_too(client: Client) -> None:
    _, session, _ = await a_session(client)
    await sign_up(client, session["id"], phone=None, email="Person@Example.org")
    again = await sign_up(client, session["id"], phone=None, email="person@example.org")
    assert again.status_code == 200 and again.json()["already_registered"]


@pytest.mark.parametrize("seats", [2, 0])
async def test_the_same_person_at_once_many_times_is_registered_once(client: Client, seats: int) -> None:
    """Concurrent sign-ups of one person: one registration, the others get it back (also on the waiting list)."""
    _, session, _ = await a_session(client, capacity=2)
    for n in range(2 - seats):  # fill the seats, so that the person lands on the waiting list
        assert (await sign_up(client, session["id"], phone=phone(900 + n))).status_code == 201
    responses = await asyncio.gather(*(sign_up(client, session["id"], email="same@example.org") for _ in range(20)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 19 + [201], [r.text for r in responses]
    bodies = [r.json() for r in responses]
    assert len({b["id"] for b in bodies}) == 1
    expected = ("confirmed", None) if seats else ("waitlisted", 1)
    assert {(b["status"], b.get("waitlist_position")) for b in bodies} == {expected}
    counts = (await client.get(f"/api/v1/sessions/{session['id']}")).json()
    assert counts["confirmed"] + counts["waitlisted"] == 3 - seats


async def test_cancelled_and_past_sessions_are_closed(client: Client) -> None:
    _, session, coordinator = await a_session(client)
    await client.patch(f"/api/v1/sessions/{session['id']}", json={"status": "cancelled"}, headers=coordinator.headers)
    closed = await sign_up(client, session["id"])
    assert closed.status_code == 409 and "cancelled" in closed.json()["detail"]
    _, past, _ = await a_session(client, start="2025-10-02T10:00")
    assert (await sign_up(client, past["id"])).status_code == 409


async def test_a_wrong_token_is_a_404_that_reveals_nothing(client: Client) -> None:
    for token in ("nope", "x" * 32, "A" * 200):
        response = await client.get(f"/api/v1/registrations/{token}")
        assert response.status_code == 404
        assert response.json()["detail"] == "This link is not valid."
    assert (await client.delete("/api/v1/registrations/nope")).status_code == 404


async def test_cancelling_twice_is_a_409(client: Client) -> None:
    _, session, _ = await a_session(client)
    token = (await sign_up(client, session["id"])).json()["token"]
    assert (await client.delete(f"/api/v1/registrations/{token}")).status_code == 200
    assert (await client.delete(f"/api/v1/registrations/{token}")).status_code == 409


async def test_a_person_changes_phone_and_language_and_keeps_registrations(client: Client) -> None:
    _, session, _ = await a_session(client)
    token = (await sign_up(client, session["id"])).json()["token"]
    changed = await client.patch(f"/api/v1/registrations/{token}", json={"phone": "+49 30 1234567", "language": "de"})
    assert changed.status_code == 200
    assert changed.json()["phone"] == "+49301234567" and changed.json()["language"] == "de"
    assert changed.json()["status"] == "confirmed"
    bad = await client.patch(f"/api/v1/registrations/{token}", json={"phone": ""})
    assert bad.status_code == 400  # one way to reach the person must remain


async def test_series_enrolment_registers_for_every_later_session(client: Client) -> None:
    activity, session, _ = await a_session(client, rrule="FREQ=WEEKLY;COUNT=4")
    response = await sign_up(client, session["id"], series=True)
    assert response.status_code == 201 and response.json()["series_registrations"] == 3
    assert all(s["confirmed"] == 1 for s in await sessions_of(client, activity["id"]))
    other = (await sessions_of(client, activity["id"]))[2]
    token = (await sign_up(client, other["id"], phone=phone(7))).json()["token"]
    assert (await client.delete(f"/api/v1/registrations/{token}")).status_code == 200


async def test_series_enrolment_carries_over_when_the_series_is_changed_from_a_date(client: Client) -> None:
    activity, first, coordinator = await a_session(client, start="2027-03-04T10:00", rrule="FREQ=WEEKLY;COUNT=6")
    assert (await sign_up(client, first["id"], series=True)).json()["series_registrations"] == 5
    changed = await client.patch(
        f"/api/v1/activities/{activity['id']}",
        json={"from_date": "2027-03-20", "start": "2027-03-25T13:00"},
        headers=coordinator.headers,
    )
    assert changed.status_code == 200, changed.text
    continuation = await sessions_of(client, changed.json()["id"])
    assert len(continuation) == 3
    assert [s["confirmed"] for s in continuation] == [1, 1, 1]
    # Before the cut nothing changed; the old sessions after it were cancelled for the new times.
    old = await sessions_of(client, activity["id"])
    assert [s["confirmed"] for s in old[:3]] == [1, 1, 1]


async def test_roster_is_for_staff_only(client: Client) -> None:
    _, session, coordinator = await a_session(client, capacity=1)
    await sign_up(client, session["id"], phone=phone(1))
    await sign_up(client, session["id"], phone=phone(2), name="Oleh")
    assert (await client.get(f"/api/v1/sessions/{session['id']}/registrations")).status_code == 401
    host = await make_account("host")
    assert (
        await client.get(f"/api/v1/sessions/{session['id']}/registrations", headers=host.headers)
    ).status_code == 403
    roster = (await client.get(f"/api/v1/sessions/{session['id']}/registrations", headers=coordinator.headers)).json()
    assert [(r["name"], r["status"], r["waitlist_position"]) for r in roster] == [
        ("Amina Haddad", "confirmed", None),
        ("Oleh", "waitlisted", 1),
    ]


async def test_staff_add_by_hand_move_and_cancel(client: Client) -> None:
    activity, first, coordinator = await a_session(client, rrule="FREQ=WEEKLY;COUNT=2", capacity=1)
    second = (await sessions_of(client, activity["id"]))[1]
    added = await client.post(
        f"/api/v1/sessions/{first['id']}/registrations",
        headers=coordinator.headers,
        json={"name": "Walk-in Person", "language": "fa"},
    )
    assert added.status_code == 201 and added.json()["status"] == "confirmed"
    waiting = (await sign_up(client, first["id"], phone=phone(3))).json()
    moved = await client.post(
        f"/api/v1/staff/registrations/{added.json()['id']}/move",
        json={"session_id": second["id"]},
        headers=coordinator.headers,
    )
    assert moved.status_code == 200 and moved.json()["status"] == "confirmed"
    assert (await client.get(f"/api/v1/registrations/{waiting['token']}")).json()["status"] == "confirmed"
    cancel = await client.delete(f"/api/v1/staff/registrations/{moved.json()['id']}", headers=coordinator.headers)
    assert cancel.status_code == 204
    assert (await client.get(f"/api/v1/sessions/{second['id']}")).json()["confirmed"] == 0


async def test_raising_capacity_promotes_from_the_waitlist(client: Client) -> None:
    _, session, coordinator = await a_session(client, capacity=1)
    tokens = [(await sign_up(client, session["id"], phone=phone(i))).json()["token"] for i in range(3)]
    await client.patch(f"/api/v1/sessions/{session['id']}", json={"capacity": 2}, headers=coordinator.headers)
    assert [(await client.get(f"/api/v1/registrations/{t}")).json()["status"] for t in tokens] == [
        "confirmed",
        "confirmed",
        "waitlisted",
    ]


async def test_merge_two_records_of_the_same_person(client: Client) -> None:
    activity, first, coordinator = await a_session(client, rrule="FREQ=WEEKLY;COUNT=2")
    second = (await sessions_of(client, activity["id"]))[1]
    one = (await sign_up(client, first["id"], phone=phone(1))).json()
    two = (await sign_up(client, second["id"], phone=None, email="amina@example.org")).json()
    roster = (await client.get(f"/api/v1/sessions/{second['id']}/registrations", headers=coordinator.headers)).json()
    source = roster[0]["participant_id"]
    target = (await client.get(f"/api/v1/sessions/{first['id']}/registrations", headers=coordinator.headers)).json()[0][
        "participant_id"
    ]
    merged = await client.post(
        f"/api/v1/participants/{source}/merge", json={"into": target}, headers=coordinator.headers
    )
    assert merged.status_code == 200 and merged.json()["registrations_moved"] == 1
    person = (await client.get(f"/api/v1/registrations/{two['token']}")).json()
    assert person["email"] == "amina@example.org" and person["phone"] == "+4915100000001"
    assert one["token"] != two["token"]


async def test_sign_up_rate_limit_per_address(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    _, session, _ = await a_session(client, capacity=None, kind="cafe")
    monkeypatch.setenv("TREFFPUNKT_SIGNUP_RATE_LIMIT", "3/minute")
    get_settings.cache_clear()
    try:
        codes = [(await sign_up(client, session["id"], phone=phone(i))).status_code for i in range(4)]
    finally:
        monkeypatch.setenv("TREFFPUNKT_SIGNUP_RATE_LIMIT", "0")
        get_settings.cache_clear()
    assert codes[:3] == [201, 201, 201] or codes.count(429) >= 1
    assert codes[-1] == 429


@pytest.mark.parametrize(("people", "seats"), [(200, 10), (120, 10)])
async def test_capacity_is_never_exceeded_under_concurrent_sign_ups(client: Client, people: int, seats: int) -> None:
    _, session, coordinator = await a_session(client, capacity=seats)
    responses = await asyncio.gather(*(sign_up(client, session["id"], phone=phone(i)) for i in range(people)))
    assert sorted({r.status_code for r in responses}) == [201], {r.status_code: r.text for r in responses}
    bodies = [r.json() for r in responses]
    assert sum(b["status"] == "confirmed" for b in bodies) == seats
    positions = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
    assert positions == list(range(1, people - seats + 1))
    counts = (await client.get(f"/api/v1/sessions/{session['id']}")).json()
    assert (counts["confirmed"], counts["waitlisted"]) == (seats, people - seats)
    first_in_line = next(b for b in bodies if b.get("waitlist_position") == 1)
    a_confirmed = next(b for b in bodies if b["status"] == "confirmed")
    await client.delete(f"/api/v1/registrations/{a_confirmed['token']}")
    assert (await client.get(f"/api/v1/registrations/{first_in_line['token']}")).json()["status"] == "confirmed"
    roster = (await client.get(f"/api/v1/sessions/{session['id']}/registrations", headers=coordinator.headers)).json()
    assert sum(r["status"] == "confirmed" for r in roster) == seats


async def test_many_concurrent_writers_get_no_database_is_locked(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(
        client,
        coordinator.headers,
        start="2027-10-07T10:00",
        exdates=[],
        rrule="FREQ=DAILY;COUNT=8",
        capacity=None,
        kind="cafe",
    )
    sessions = await sessions_of(client, activity["id"])
    responses = await asyncio.gather(*(sign_up(client, sessions[i % 8]["id"], phone=phone(i)) for i in range(64)))
    assert [r.status_code for r in responses] == [201] * 64, [r.text for r in responses if r.status_code != 201]
