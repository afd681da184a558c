"""Who may check in: facilitators of the activity, coordinators and admins."""

from __future__ import annotations

import uuid

import pytest
from httpx import AsyncClient as Client

from app.settings import RateLimit
from checkin import controllers
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
