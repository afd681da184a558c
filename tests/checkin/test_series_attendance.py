"""Attendance across a series: people by sessions with a mark per cell and a rate per person."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from httpx import AsyncClient as Client

from checkin import services
from checkin.services import series as series_module
from tests.checkin.helpers import a_door, register
from tests.checkin.series_helpers import OCTOBER, a_series, expected_marks, participant_of
from tests.factories import make_account


async def test_the_matrix_has_a_mark_per_person_and_session(client: Client) -> None:
    series = await a_series(client)
    url = f"/api/v1/activities/{series.door.activity['id']}/attendance"
    response = await client.get(url, params=OCTOBER, headers=series.door.coordinator.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["id"] for s in body["sessions"]] == [series.session(i) for i in range(4)]
    assert [s["date"] for s in body["sessions"]] == ["2027-10-07", "2027-10-14", "2027-10-21", "2027-10-28"]
    assert [s["status"] for s in body["sessions"]][-1] == "cancelled"
    assert [s["present"] for s in body["sessions"]] == [2, 1, 0, 0]
    assert body["omitted_sessions"] == 0
    assert [p["name"] for p in body["people"]] == ["Amal", "Boris", "Zara"]
    people = {p["name"]: p for p in body["people"]}
    assert {name: p["marks"] for name, p in people.items()} == expected_marks()
    assert (people["Amal"]["present"], people["Amal"]["no_shows"], people["Amal"]["excused"]) == (1, 1, 1)
    assert people["Amal"]["rate"] == 0.5
    assert people["Boris"]["rate"] == 1.0
    assert [p["participant_id"] for p in body["people"]] == [series.amal, series.boris, series.zara]


async def test_a_session_that_is_over_counts_as_a_no_show_before_the_job_marked_it(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, int(door.sessions[0]["id"]))
    by = services.Operator(user_id=door.coordinator.id, any_session=True)
    activity_id = int(door.activity["id"])
    start = datetime(2027, 10, 1, tzinfo=UTC)
    before = await services.series_attendance(
        activity_id, by=by, start=start, language="de", now=datetime(2027, 10, 7, 9, 0, tzinfo=UTC)
    )
    assert before.people[0].marks[0] == "upcoming" and before.people[0].rate is None
    after = await services.series_attendance(
        activity_id, by=by, start=start, language="de", now=datetime(2027, 10, 7, 15, 0, tzinfo=UTC)
    )
    assert after.people[0].participant_id == await participant_of(person["id"])
    assert after.people[0].marks[0] == "no_show" and after.people[0].rate == 0.0


async def test_a_long_series_shows_its_latest_sessions(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(series_module, "MAX_SESSIONS", 3)
    door = await a_door(client)
    response = await client.get(
        f"/api/v1/activities/{door.activity['id']}/attendance",
        params={"from": "2027-10-01", "to": "2028-01-01"},
        headers=door.coordinator.headers,
    )
    body = response.json()
    assert [s["id"] for s in body["sessions"]] == [int(s["id"]) for s in door.sessions[5:8]]
    assert body["omitted_sessions"] == 5


async def test_without_a_period_it_runs_from_the_first_session_to_next_week(client: Client) -> None:
    door = await a_door(client, start="2026-11-19T10:00")
    response = await client.get(
        f"/api/v1/activities/{door.activity['id']}/attendance", headers=door.facilitator.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["start"] is None
    shown = [s["id"] for s in body["sessions"]]
    assert shown and shown == [int(s["id"]) for s in door.sessions[: len(shown)]]
    assert all(s["starts_at"] < body["end"] for s in body["sessions"])


async def test_facilitators_see_only_their_activities(client: Client) -> None:
    door = await a_door(client)
    url = f"/api/v1/activities/{door.activity['id']}/attendance"
    assert (await client.get(url)).status_code == 401
    stranger = await make_account("facilitator")
    refused = await client.get(url, headers=stranger.headers)
    assert refused.status_code == 403
    assert "facilitator of this activity" in refused.json()["detail"]
    host = await make_account("host")
    assert (await client.get(url, headers=host.headers)).status_code == 403
    for account in (door.facilitator, door.coordinator, await make_account("admin")):
        assert (await client.get(url, headers=account.headers)).status_code == 200


async def test_an_unknown_activity_is_a_404(client: Client) -> None:
    door = await a_door(client)
    for activity_id in (424242, 2**40):
        response = await client.get(f"/api/v1/activities/{activity_id}/attendance", headers=door.coordinator.headers)
        assert response.status_code in (404, 400), response.text
    assert (
        await client.get("/api/v1/activities/424242/attendance", headers=door.coordinator.headers)
    ).status_code == 404


async def test_a_period_that_ends_before_it_starts_is_a_400(client: Client) -> None:
    door = await a_door(client)
    url = f"/api/v1/activities/{door.activity['id']}/attendance"
    response = await client.get(
        url, params={"from": "2027-11-01", "to": "2027-10-01"}, headers=door.coordinator.headers
    )
    assert response.status_code == 400
    body = response.json()
    assert body["extra"] == {"field": "to"}
    assert "ends before it starts" in body["detail"]
    garbage = await client.get(url, params={"from": "last week"}, headers=door.coordinator.headers)
    assert garbage.status_code == 400 and garbage.json()["extra"] == {"field": "from"}


async def test_the_new_report_routes_are_in_the_openapi_schema(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values() if "operationId" in op}
    assert {
        "activityAttendance",
        "peopleAttendanceReport",
        "peopleAttendanceReportCsv",
        "peopleAttendanceReportXlsx",
        "weeklyAttendanceReport",
    } <= operations
    assert not any(path.startswith("/staff/reports") for path in schema["paths"])  # pages stay out of the API
    marks = schema["components"]["schemas"]["SeriesPersonOut"]["properties"]["marks"]
    assert "not_registered" in marks["description"]
