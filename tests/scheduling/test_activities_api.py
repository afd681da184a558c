"""Activities and sessions through the JSON API, as a client sees them."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient as Client

from tests.factories import make_account
from tests.scheduling.factories import THURSDAY_GROUP, create_activity, sessions_of


async def test_coordinator_creates_a_weekly_group_with_seven_sessions(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers)
    assert activity["id"] > 0
    assert activity["timezone"] == "Europe/Berlin"
    assert activity["venue"]["name"] == "Nachbarschaftshaus"
    sessions = await sessions_of(client, activity["id"])
    assert [s["starts_at"] for s in sessions] == [
        "2026-10-01T08:00:00Z",
        "2026-10-08T08:00:00Z",
        "2026-10-15T08:00:00Z",
        "2026-10-22T08:00:00Z",
        "2026-11-05T09:00:00Z",
        "2026-11-12T09:00:00Z",
        "2026-11-19T09:00:00Z",
    ]
    assert all(s["status"] == "scheduled" and s["capacity"] == 12 for s in sessions)
    assert sessions[0]["confirmed"] == 0 and sessions[0]["waitlisted"] == 0 and sessions[0]["seats_left"] == 12


async def test_facilitator_may_not_create_activities(client: Client) -> None:
    facilitator = await make_account("facilitator")
    response = await client.post("/api/v1/activities", json=THURSDAY_GROUP, headers=facilitator.headers)
    assert response.status_code == 403


async def test_creating_needs_a_token(client: Client) -> None:
    response = await client.post("/api/v1/activities", json=THURSDAY_GROUP)
    assert response.status_code == 401


async def test_kind_defaults_apply(client: Client) -> None:
    coordinator = await make_account("coordinator")
    cafe = await create_activity(
        client,
        coordinator.headers,
        kind="cafe",
        rrule="FREQ=WEEKLY;COUNT=2",
        exdates=[],
        capacity=None,
        duration_minutes=120,
    )
    assert cafe["capacity"] is None
    coaching_body = {k: v for k, v in THURSDAY_GROUP.items() if k not in ("capacity", "duration_minutes")}
    response = await client.post(
        "/api/v1/activities",
        headers=coordinator.headers,
        json={**coaching_body, "kind": "coaching", "rrule": None, "exdates": []},
    )
    coaching = response.json()
    assert coaching["capacity"] == 1
    assert coaching["duration_minutes"] == 60
    assert len(await sessions_of(client, coaching["id"])) == 1


async def test_company_visit_needs_an_existing_employer_and_no_rule(client: Client) -> None:
    coordinator = await make_account("coordinator")
    body = {**THURSDAY_GROUP, "kind": "company_visit", "rrule": None, "exdates": []}
    missing = await client.post("/api/v1/activities", json=body, headers=coordinator.headers)
    assert missing.status_code == 400 and missing.json()["extra"]["field"] == "employer_id"
    employer = await client.post(
        "/api/v1/employers", json={"name": "Bäckerei Krume", "address": "Hauptstr. 1"}, headers=coordinator.headers
    )
    assert employer.status_code == 201
    employer_id = employer.json()["id"]
    with_rule = await client.post(
        "/api/v1/activities",
        json={**body, "employer_id": employer_id, "rrule": "FREQ=WEEKLY;COUNT=2"},
        headers=coordinator.headers,
    )
    assert with_rule.status_code == 400 and with_rule.json()["extra"]["field"] == "rrule"
    visit = await create_activity(client, coordinator.headers, **{**body, "employer_id": employer_id})
    assert visit["employer_id"] == employer_id


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"rrule": "FREQ=WEEKLY;BYDAY=XY"}, "rrule", "BYDAY"),
        ({"rrule": "FREQ=HOURLY"}, "rrule", "FREQ"),
        ({"start": "2027-03-28T02:30", "rrule": None}, "start", "does not exist"),
        ({"timezone": "Mars/Base"}, "timezone", "time zone"),
        ({"duration_minutes": -5}, "duration_minutes", "between"),
        ({"capacity": -1}, "capacity", "1 or more"),
        ({"languages": ["de", "qq"]}, "languages", "'qq'"),
        ({"title": {"xx-yy": "Titel"}}, "title", "language code"),
        ({"title": {}}, "title", "at least one"),
        ({"start": "morgen"}, "start", "not a date"),
    ],
)
async def test_bad_input_is_a_400_that_says_what_is_wrong(
    client: Client, change: dict[str, Any], field: str, words: str
) -> None:
    coordinator = await make_account("coordinator")
    response = await client.post("/api/v1/activities", json={**THURSDAY_GROUP, **change}, headers=coordinator.headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status_code"] == 400
    assert words in body["detail"]
    assert body["extra"]["field"] == field


async def test_malformed_body_is_a_400_not_a_500(client: Client) -> None:
    coordinator = await make_account("coordinator")
    for body in ({"kind": "party"}, {**THURSDAY_GROUP, "capacity": "lots"}, [], {"kind": "cafe"}):
        response = await client.post("/api/v1/activities", json=body, headers=coordinator.headers)
        assert response.status_code == 400, response.text
    raw = await client.post(
        "/api/v1/activities", content=b"{not json", headers={**coordinator.headers, "content-type": "application/json"}
    )
    assert raw.status_code == 400


async def test_filters_by_kind_language_and_dates(client: Client) -> None:
    coordinator = await make_account("coordinator")
    group = await create_activity(client, coordinator.headers)
    cafe = await create_activity(
        client,
        coordinator.headers,
        kind="cafe",
        title={"de": "Café"},
        languages=["uk", "de"],
        start="2027-01-05T16:00",
        rrule="FREQ=WEEKLY;COUNT=4",
        exdates=[],
    )
    by_kind = (await client.get("/api/v1/activities", params={"kind": "cafe"})).json()
    assert [a["id"] for a in by_kind] == [cafe["id"]]
    by_language = (await client.get("/api/v1/activities", params={"language": "ar"})).json()
    assert [a["id"] for a in by_language] == [group["id"]]
    in_january = (await client.get("/api/v1/activities", params={"from": "2027-01-01", "to": "2027-02-01"})).json()
    assert [a["id"] for a in in_january] == [cafe["id"]]
    paged = (await client.get("/api/v1/activities", params={"limit": 1, "offset": 1})).json()
    assert [a["id"] for a in paged] == [cafe["id"]]
    bad = await client.get("/api/v1/activities", params={"from": "someday"})
    assert bad.status_code == 400 and "from" in bad.text


async def test_sessions_listing_filters_by_time(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers)
    response = await client.get(
        f"/api/v1/activities/{activity['id']}/sessions", params={"from": "2026-11-01", "to": "2026-11-13"}
    )
    assert [s["starts_at"][:10] for s in response.json()] == ["2026-11-05", "2026-11-12"]
    upcoming = await client.get("/api/v1/sessions", params={"from": "2026-10-01", "language": "ar", "limit": 2})
    assert [s["activity_id"] for s in upcoming.json()] == [activity["id"], activity["id"]]
    assert upcoming.json()[0]["title"]["ar"]


async def test_unknown_activity_is_404(client: Client) -> None:
    response = await client.get("/api/v1/activities/999999")
    assert response.status_code == 404
    assert (await client.get("/api/v1/activities/999999/sessions")).status_code == 404


async def test_cancel_and_restore_one_session(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    first = (await sessions_of(client, activity["id"]))[0]
    cancelled = await client.patch(
        f"/api/v1/sessions/{first['id']}", json={"status": "cancelled"}, headers=coordinator.headers
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    restored = await client.patch(
        f"/api/v1/sessions/{first['id']}", json={"status": "scheduled"}, headers=coordinator.headers
    )
    assert restored.json()["status"] == "scheduled"
    facilitator = await make_account("facilitator")
    refused = await client.patch(
        f"/api/v1/sessions/{first['id']}", json={"status": "cancelled"}, headers=facilitator.headers
    )
    assert refused.status_code == 403


async def test_move_one_session(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    second = (await sessions_of(client, activity["id"]))[1]
    moved = await client.patch(
        f"/api/v1/sessions/{second['id']}", json={"starts_at": "2027-10-15T14:00:00+02:00"}, headers=coordinator.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"] == "2027-10-15T12:00:00Z"
    assert moved.json()["ends_at"] == "2027-10-15T16:00:00Z"
    naive = await client.patch(
        f"/api/v1/sessions/{second['id']}", json={"starts_at": "2027-10-15T14:00:00"}, headers=coordinator.headers
    )
    assert naive.status_code == 400 and "offset" in naive.json()["detail"]


async def test_past_sessions_cannot_be_cancelled(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start="2025-10-02T10:00", exdates=[])
    first = (await sessions_of(client, activity["id"]))[0]
    response = await client.patch(
        f"/api/v1/sessions/{first['id']}", json={"status": "cancelled"}, headers=coordinator.headers
    )
    assert response.status_code == 409


async def test_closure_day_cancels_sessions_and_removing_it_restores_them(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(
        client, coordinator.headers, start="2027-12-16T10:00", exdates=[], rrule="FREQ=WEEKLY;COUNT=3"
    )
    closure = await client.post(
        "/api/v1/closures", json={"day": "2027-12-23", "name": "Weihnachtspause"}, headers=coordinator.headers
    )
    assert closure.status_code == 201 and closure.json()["cancelled_sessions"] == 1
    statuses = [s["status"] for s in await sessions_of(client, activity["id"])]
    assert statuses == ["scheduled", "cancelled", "scheduled"]
    later = await create_activity(
        client,
        coordinator.headers,
        kind="cafe",
        start="2027-12-20T16:00",
        exdates=[],
        rrule="FREQ=DAILY;COUNT=5",
        capacity=None,
    )
    assert [s["status"] for s in await sessions_of(client, later["id"])][3] == "cancelled"
    removed = await client.delete("/api/v1/closures/2027-12-23", headers=coordinator.headers)
    assert removed.status_code == 200
    assert [s["status"] for s in await sessions_of(client, activity["id"])] == ["scheduled"] * 3


async def test_editing_a_series_from_a_date_keeps_the_past(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(
        client, coordinator.headers, start="2026-10-01T10:00", exdates=[], rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=8"
    )
    response = await client.patch(
        f"/api/v1/activities/{activity['id']}",
        json={"from_date": "2026-10-20", "start": "2026-10-20T13:00", "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=3"},
        headers=coordinator.headers,
    )
    assert response.status_code == 200, response.text
    new = response.json()
    assert new["id"] != activity["id"] and new["continues_id"] == activity["id"]
    old_sessions = await sessions_of(client, activity["id"])
    assert [s["starts_at"] for s in old_sessions] == [
        "2026-10-01T08:00:00Z",
        "2026-10-08T08:00:00Z",
        "2026-10-15T08:00:00Z",
    ]
    assert [s["starts_at"] for s in await sessions_of(client, new["id"])] == [
        "2026-10-20T11:00:00Z",
        "2026-10-27T12:00:00Z",
        "2026-11-03T12:00:00Z",
    ]


async def test_editing_title_and_capacity_in_place(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers)
    response = await client.patch(
        f"/api/v1/activities/{activity['id']}",
        json={"title": {"de": "Neuer Titel"}, "capacity": 8},
        headers=coordinator.headers,
    )
    assert response.status_code == 200
    assert response.json()["id"] == activity["id"] and response.json()["title"] == {"de": "Neuer Titel"}
    assert all(s["capacity"] == 8 for s in await sessions_of(client, activity["id"]))


async def test_open_ended_series_has_a_year_of_sessions(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(
        client,
        coordinator.headers,
        kind="cafe",
        rrule="FREQ=WEEKLY;BYDAY=TU",
        start="2026-12-01T16:00",
        exdates=[],
        capacity=None,
    )
    sessions = await sessions_of(client, activity["id"])
    assert 52 <= len(sessions) <= 54


async def test_staff_see_facilitators_public_does_not(client: Client) -> None:
    coordinator = await make_account("coordinator")
    facilitator = await make_account("facilitator")
    activity = await create_activity(client, coordinator.headers, facilitator_ids=[facilitator.id])
    public = (await client.get(f"/api/v1/activities/{activity['id']}")).json()
    assert "facilitator_ids" not in public
    staff = (await client.get(f"/api/v1/activities/{activity['id']}", headers=coordinator.headers)).json()
    assert staff["facilitator_ids"] == [facilitator.id]


async def test_employer_contact_is_staff_only(client: Client) -> None:
    coordinator = await make_account("coordinator")
    created = await client.post(
        "/api/v1/employers",
        json={"name": "Pflegeheim Sonnenhof", "contact_email": "hr@sonnenhof.example", "site_languages": ["de", "tr"]},
        headers=coordinator.headers,
    )
    employer_id = created.json()["id"]
    public = (await client.get(f"/api/v1/employers/{employer_id}")).json()
    assert public["contact_email"] is None
    staff = (await client.get(f"/api/v1/employers/{employer_id}", headers=coordinator.headers)).json()
    assert staff["contact_email"] == "hr@sonnenhof.example"


async def test_the_daily_job_extends_open_series(client: Client) -> None:
    from datetime import UTC, datetime, timedelta

    from scheduling.services import extend_open_series

    coordinator = await make_account("coordinator")
    activity = await create_activity(
        client,
        coordinator.headers,
        kind="cafe",
        rrule="FREQ=WEEKLY;BYDAY=TU",
        start="2026-12-01T16:00",
        exdates=[],
        capacity=None,
    )
    before = len(await sessions_of(client, activity["id"]))
    grown = await extend_open_series(datetime.now(UTC) + timedelta(days=60))
    assert grown == 1
    after = await sessions_of(client, activity["id"])
    assert 7 <= len(after) - before <= 10
    assert len({s["starts_at"] for s in after}) == len(after)
    assert await extend_open_series(datetime.now(UTC) + timedelta(days=60)) == 0
