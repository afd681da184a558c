"""Who may check in (the rule of ``scheduling.access``): coordinators and admins everywhere; a facilitator at
the activities they are assigned to and at activities nobody is assigned to, nowhere else."""

from __future__ import annotations

import uuid

import pytest
from httpx import AsyncClient as Client

from app.settings import RateLimit
from checkin import controllers
from scheduling.tables import Registration
from tests.checkin.helpers import a_door, attendance_rows, door_log, qr, register, scan
from tests.factories import make_account


async def test_without_a_token_it_is_a_401(client: Client) -> None:
    response = await client.post("/api/v1/checkin", json={"code": "TP1:AAAA"})
    assert response.status_code == 401
    assert set(response.json()) == {"status_code", "detail", "extra"}


async def test_a_host_gets_a_403(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    host = await make_account("host")
    assert (await scan(client, host, qr(person["id"]), session_id=door.session_id)).status_code == 403
    walk_in = await client.post(
        f"/api/v1/sessions/{door.session_id}/walk-ins", json={"name": "A", "language": "de"}, headers=host.headers
    )
    assert walk_in.status_code == 403
    assert (await client.get(f"/api/v1/sessions/{door.session_id}/attendance", headers=host.headers)).status_code == 403


async def test_a_facilitator_of_another_activity_gets_a_403_and_the_scan_is_logged(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    stranger = await make_account("facilitator")
    for extra in ({"session_id": door.session_id}, {}):
        response = await scan(client, stranger, qr(person["id"]), **extra)
        assert response.status_code == 403, response.text
        assert "facilitator of this activity" in response.json()["detail"]
    assert await attendance_rows(person["id"]) == 0
    assert [entry["outcome"] for entry in await door_log()] == ["forbidden", "forbidden"]
    for path in ("walk-ins", "checkin/undo"):
        body = {"name": "A", "language": "de"} if path == "walk-ins" else None
        response = await client.post(f"/api/v1/sessions/{door.session_id}/{path}", json=body, headers=stranger.headers)
        assert response.status_code == 403, path


ASK = "ask a coordinator to add you to this activity"


async def test_an_activity_nobody_is_assigned_to_is_open_to_every_facilitator(client: Client) -> None:
    """The contract's POST /api/v1/activities cannot assign anyone: any facilitator on duty runs the door."""
    door = await a_door(client, facilitator_ids=[])
    first, second = await register(client, door.session_id, 1), await register(client, door.session_id, 2)
    anyone = await make_account("facilitator")
    by_qr = await scan(client, anyone, qr(first["id"]))
    assert by_qr.status_code == 200 and by_qr.json()["result"] == "ok", by_qr.text
    at_the_door = await scan(client, door.facilitator, qr(second["id"]), session_id=door.session_id)
    assert at_the_door.json()["result"] == "ok"
    walk_in = await client.post(
        f"/api/v1/sessions/{door.session_id}/walk-ins", json={"name": "Zoe", "language": "de"}, headers=anyone.headers
    )
    assert walk_in.status_code == 201, walk_in.text
    counted = await client.post(
        f"/api/v1/sessions/{door.session_id}/anonymous-walk-ins", json={"delta": 1}, headers=anyone.headers
    )
    assert counted.status_code == 200, counted.text
    undone = await client.post(f"/api/v1/sessions/{door.session_id}/checkin/undo", headers=anyone.headers)
    assert undone.status_code == 200 and undone.json()["undone"]["name"] == "Zoe"
    seen = await client.get(f"/api/v1/sessions/{door.session_id}/attendance", headers=anyone.headers)
    assert seen.status_code == 200, seen.text
    assert seen.json()["checked_in"] == 2
    series = await client.get(f"/api/v1/activities/{door.activity['id']}/attendance", headers=anyone.headers)
    assert series.status_code == 200, series.text
    assert [entry["outcome"] for entry in await door_log()] == ["ok", "ok", "ok", "undone"]


async def test_an_activity_with_facilitators_is_closed_to_the_others(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    stranger = await make_account("facilitator")
    refused = await scan(client, stranger, qr(person["id"]))
    assert refused.status_code == 403 and ASK in refused.json()["detail"]
    walk_in = await client.post(
        f"/api/v1/sessions/{door.session_id}/walk-ins", json={"name": "Zoe", "language": "de"}, headers=stranger.headers
    )
    assert walk_in.status_code == 403 and ASK in walk_in.json()["detail"]
    for url in (
        f"/api/v1/sessions/{door.session_id}/attendance",
        f"/api/v1/activities/{door.activity['id']}/attendance",
    ):
        answer = await client.get(url, headers=stranger.headers)
        assert answer.status_code == 403, url
        assert set(answer.json()) == {"status_code", "detail", "extra"} and ASK in answer.json()["detail"]
    counted = await client.post(
        f"/api/v1/sessions/{door.session_id}/anonymous-walk-ins", json={"delta": 1}, headers=stranger.headers
    )
    assert counted.status_code == 403
    assert await attendance_rows(person["id"]) == 0
    assert await Registration.count().where(Registration.session == door.session_id) == 1  # no walk-in was added


async def test_the_assigned_facilitator_is_not_kept_from_the_shared_door(client: Client) -> None:
    """Being assigned to one activity does not close the activities nobody is assigned to."""
    door = await a_door(client)
    shared = await a_door(client, facilitator_ids=[])
    person = await register(client, shared.session_id)
    assert (await scan(client, door.facilitator, qr(person["id"]))).json()["result"] == "ok"
    seen = await client.get(f"/api/v1/sessions/{shared.session_id}/attendance", headers=door.facilitator.headers)
    assert seen.status_code == 200


@pytest.mark.parametrize("role", ["coordinator", "admin"])
async def test_staff_who_sees_every_session_reads_any_attendance(client: Client, role: str) -> None:
    door = await a_door(client)
    account = await make_account(role)
    for url in (
        f"/api/v1/sessions/{door.session_id}/attendance",
        f"/api/v1/activities/{door.activity['id']}/attendance",
    ):
        assert (await client.get(url, headers=account.headers)).status_code == 200, url
    assert (
        await client.get(f"/api/v1/sessions/{door.session_id}/attendance", headers=door.facilitator.headers)
    ).status_code == 200


@pytest.mark.parametrize("role", ["coordinator", "admin"])
async def test_coordinators_and_admins_check_in_anywhere(client: Client, role: str) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    account = await make_account(role)
    response = await scan(client, account, qr(person["id"]), session_id=door.session_id)
    assert response.json()["result"] == "ok"


async def test_typed_codes_are_rate_limited_per_staff_member(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(controllers, "TYPED_CODE_LIMIT", RateLimit(count=3, period_seconds=3600))
    monkeypatch.setattr(controllers, "TYPED_CODE_BUCKET", f"test-{uuid.uuid4()}")
    door = await a_door(client)
    person = await register(client, door.session_id)
    answers = [
        (await scan(client, door.facilitator, "ABCDEFG", session_id=door.session_id)).status_code for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    limited = await scan(client, door.facilitator, "ABCDEFG", session_id=door.session_id)
    assert limited.headers["Retry-After"].isdigit()
    scanned = await scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id)
    assert scanned.json()["result"] == "ok"  # scanning QR codes is never limited


async def test_the_door_routes_are_in_the_openapi_schema(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values() if "operationId" in op}
    assert {
        "checkIn",
        "walkIn",
        "undoCheckin",
        "sessionAttendance",
        "markNoShows",
        "countAnonymousWalkIns",
        "attendanceReportCsv",
    } <= operations
