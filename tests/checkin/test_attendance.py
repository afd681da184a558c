"""Attendance of a session, undoing a check-in, and no-shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from httpx import AsyncClient as Client

from checkin import services
from checkin.errors import SessionStateRefused
from checkin.tables import Attendance
from tests.checkin.helpers import a_door, attendance_rows, door_log, qr, register, scan


async def test_undo_takes_back_the_last_check_in(client: Client) -> None:
    door = await a_door(client)
    first, second = await register(client, door.session_id, 1), await register(client, door.session_id, 2)
    for person in (first, second):
        await scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id)
    url = f"/api/v1/sessions/{door.session_id}/checkin/undo"
    response = await client.post(url, headers=door.facilitator.headers)
    assert response.status_code == 200, response.text
    assert response.json()["undone"]["id"] == second["id"]
    assert await attendance_rows(second["id"]) == 0 and await attendance_rows(first["id"]) == 1
    assert (await door_log())[-1]["outcome"] == "undone"
    again = await scan(client, door.facilitator, qr(second["id"]), session_id=door.session_id)
    assert again.json()["result"] == "ok"


async def test_undo_without_a_check_in_of_ones_own_is_a_409(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    await scan(client, door.coordinator, qr(person["id"]), session_id=door.session_id)
    response = await client.post(f"/api/v1/sessions/{door.session_id}/checkin/undo", headers=door.facilitator.headers)
    assert response.status_code == 409
    assert await attendance_rows(person["id"]) == 1


async def test_attendance_counts_expected_checked_in_and_walk_ins(client: Client) -> None:
    door = await a_door(client)
    people = [await register(client, door.session_id, n) for n in range(1, 4)]
    await scan(client, door.facilitator, qr(people[0]["id"]), session_id=door.session_id)
    await client.post(
        f"/api/v1/sessions/{door.session_id}/walk-ins",
        json={"name": "Zoe Walk-in", "language": "de"},
        headers=door.facilitator.headers,
    )
    response = await client.get(f"/api/v1/sessions/{door.session_id}/attendance", headers=door.facilitator.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["expected"], body["checked_in"], body["walk_ins"], body["no_shows"]) == (3, 2, 1, 0)
    assert [p["name"] for p in body["people"]] == ["Person 1", "Person 2", "Person 3", "Zoe Walk-in"]
    assert [p["checked_in_at"] is not None for p in body["people"]] == [True, False, False, True]


async def test_attendance_of_an_unknown_session_is_a_404(client: Client) -> None:
    door = await a_door(client)
    response = await client.get("/api/v1/sessions/424242/attendance", headers=door.coordinator.headers)
    assert response.status_code == 404


async def test_no_shows_are_marked_only_once_the_session_is_over(client: Client) -> None:
    door = await a_door(client)
    came, missed = await register(client, door.session_id, 1), await register(client, door.session_id, 2)
    await scan(client, door.facilitator, qr(came["id"]), session_id=door.session_id)
    early = await client.post(f"/api/v1/sessions/{door.session_id}/no-shows", headers=door.facilitator.headers)
    assert early.status_code == 409
    with pytest.raises(SessionStateRefused):
        await services.mark_no_shows(door.session_id)
    after = datetime(2027, 10, 7, 18, 0, tzinfo=UTC)
    assert await services.mark_no_shows(door.session_id, now=after) == 1
    assert await services.mark_no_shows(door.session_id, now=after) == 1  # running it again changes nothing
    summary = await services.attendance(door.session_id)
    assert [(p.registration_id, p.no_show) for p in summary.people] == [(came["id"], False), (missed["id"], True)]
    late = await scan(client, door.facilitator, qr(missed["id"]), session_id=door.session_id)
    assert late.json()["result"] == "ok"
    assert (await services.attendance(door.session_id)).no_shows == 0
    assert await Attendance.count() == 2


async def test_the_hourly_job_marks_no_shows_of_sessions_that_ended(client: Client) -> None:
    door = await a_door(client)
    came, missed = await register(client, door.session_id, 1), await register(client, door.session_id, 2)
    later = await register(client, int(door.sessions[1]["id"]), 3)
    await scan(client, door.facilitator, qr(came["id"]), session_id=door.session_id)
    during = datetime(2027, 10, 7, 12, 0, tzinfo=UTC)
    await services.mark_due_no_shows(now=during)
    assert (await services.attendance(door.session_id)).no_shows == 0  # not before the session is over
    evening = datetime(2027, 10, 7, 20, 0, tzinfo=UTC)
    assert await services.mark_due_no_shows(now=evening) == 1
    assert await services.mark_due_no_shows(now=evening) == 1  # running it twice marks nobody twice
    summary = await services.attendance(door.session_id)
    assert [(p.registration_id, p.no_show) for p in summary.people] == [(came["id"], False), (missed["id"], True)]
    assert (await services.attendance(int(door.sessions[1]["id"]))).no_shows == 0  # next week's is not over
    assert later["status"] == "confirmed"


async def test_the_job_leaves_cancelled_sessions_alone(client: Client) -> None:
    door = await a_door(client)
    await register(client, door.session_id, 1)
    response = await client.patch(
        f"/api/v1/sessions/{door.session_id}", json={"status": "cancelled"}, headers=door.coordinator.headers
    )
    assert response.status_code == 200, response.text
    assert await services.mark_due_no_shows(now=datetime(2027, 10, 7, 20, 0, tzinfo=UTC)) == 0
