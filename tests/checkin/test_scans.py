"""Scanning at the door: every result of the contract, resends and concurrent scans."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from httpx import AsyncClient as Client

from checkin.codes import CheckinKeys, sign
from checkin.tables import Attendance
from tests.checkin.helpers import a_door, attendance_rows, door_log, qr, register, scan, typed


async def test_a_scan_checks_a_confirmed_person_in(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    response = await scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["result"] == "ok"
    assert body["registration"] == {
        "id": person["id"],
        "name": "Person 1",
        "status": "confirmed",
        "session_id": door.session_id,
    }
    assert body["checked_in_at"].endswith("Z")
    assert await attendance_rows(person["id"]) == 1


async def test_a_second_scan_is_already_and_keeps_one_attendance_row(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    first = (await scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id)).json()
    again = (await scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id)).json()
    assert again["result"] == "already"
    assert again["checked_in_at"] == first["checked_in_at"]
    assert await attendance_rows(person["id"]) == 1


@pytest.mark.parametrize(
    "code",
    [
        "hello",
        "TP1:AAAA",
        "TP1:" + "A" * 70,
        "TP9:AAAAAAAAAAAAAAAAAAAAAAAA",
        "TP1:!!!!",
        sign(1, CheckinKeys.from_secret("another secret, so a forged code")),
    ],
)
async def test_garbage_and_forged_codes_are_invalid(client: Client, code: str) -> None:
    door = await a_door(client)
    await register(client, door.session_id)
    response = await scan(client, door.facilitator, code, session_id=door.session_id)
    assert response.status_code == 200, response.text
    assert response.json() == {"result": "invalid", "reason": "unknown_code"}
    assert await Attendance.count() == 0


async def test_a_genuine_code_of_a_deleted_registration_is_invalid(client: Client) -> None:
    door = await a_door(client)
    response = await scan(client, door.coordinator, qr(4242))
    assert response.json() == {"result": "invalid", "reason": "unknown_registration"}


async def test_a_code_for_another_session_is_wrong_session(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.sessions[1]["id"])
    body = (await scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id)).json()
    assert body["result"] == "wrong_session"
    assert body["registration"]["session_id"] == door.sessions[1]["id"]
    assert await attendance_rows(person["id"]) == 0


async def test_without_a_session_the_code_checks_in_at_its_own_session(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.sessions[1]["id"])
    body = (await scan(client, door.facilitator, qr(person["id"]))).json()
    assert body["result"] == "ok" and body["registration"]["session_id"] == door.sessions[1]["id"]


async def test_a_cancelled_registration_is_cancelled(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    await client.delete(f"/api/v1/registrations/{person['token']}")
    body = (await scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id)).json()
    assert body["result"] == "cancelled" and body["reason"] == "registration_cancelled"
    assert await attendance_rows(person["id"]) == 0


async def test_a_registration_for_a_cancelled_session_is_cancelled(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    cancelled = await client.patch(
        f"/api/v1/sessions/{door.session_id}", json={"status": "cancelled"}, headers=door.coordinator.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    body = (await scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id)).json()
    assert body["result"] == "cancelled" and body["reason"] == "session_cancelled"


async def test_a_waitlisted_person_is_invalid_with_the_reason(client: Client) -> None:
    door = await a_door(client, capacity=1)
    await register(client, door.session_id, 1)
    waiting = await register(client, door.session_id, 2)
    assert waiting["status"] == "waitlisted"
    body = (await scan(client, door.facilitator, qr(waiting["id"]), session_id=door.session_id)).json()
    assert body["result"] == "invalid" and body["reason"] == "waitlisted"
    assert body["registration"]["status"] == "waitlisted"


async def test_a_typed_short_code_checks_in_at_its_session(client: Client) -> None:
    door = await a_door(client)
    await register(client, door.session_id, 1)
    person = await register(client, door.session_id, 2)
    code = typed(person["id"])
    assert len(code) == 7 and not set(code) & set("01OI")
    spaced = f"{code[:3].lower()} {code[3:]}"
    body = (await scan(client, door.facilitator, spaced, session_id=door.session_id)).json()
    assert body["result"] == "ok" and body["registration"]["id"] == person["id"]
    log = await door_log()
    assert log[-1]["method"] == "code"


async def test_a_typed_code_of_someone_at_another_session_is_invalid(client: Client) -> None:
    door = await a_door(client)
    elsewhere = await register(client, door.sessions[1]["id"])
    body = (await scan(client, door.facilitator, typed(elsewhere["id"]), session_id=door.session_id)).json()
    assert body == {"result": "invalid", "reason": "unknown_code"}


async def test_a_typed_code_needs_the_session(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    response = await scan(client, door.facilitator, typed(person["id"]))
    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "session_id"}


async def test_a_person_can_be_picked_by_name(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    response = await client.post(
        "/api/v1/checkin",
        json={"registration_id": person["id"], "session_id": door.session_id},
        headers=door.facilitator.headers,
    )
    assert response.json()["result"] == "ok"
    assert (await Attendance.select(Attendance.method).first())["method"] == "name"


async def test_a_resend_with_the_same_nonce_gets_the_original_answer(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    extra = {"session_id": door.session_id, "client_nonce": "3f1c-door-1"}
    first = (await scan(client, door.facilitator, qr(person["id"]), **extra)).json()
    resent = (await scan(client, door.facilitator, qr(person["id"]), **extra)).json()
    assert first["result"] == resent["result"] == "ok"
    assert resent == first
    assert await attendance_rows(person["id"]) == 1
    assert len(await door_log()) == 1


async def test_concurrent_double_scans_check_in_once(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    responses = await asyncio.gather(
        *(scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id) for _ in range(10))
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    results = sorted(r.json()["result"] for r in responses)
    assert results == ["already"] * 9 + ["ok"]
    assert len({r.json()["checked_in_at"] for r in responses}) == 1  # the losers answer with the winner's time
    assert await attendance_rows(person["id"]) == 1
    assert len(await door_log()) == 10


async def test_concurrent_resends_of_one_scan_all_get_its_answer(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    extra = {"session_id": door.session_id, "client_nonce": "same-scan"}
    responses = await asyncio.gather(*(scan(client, door.facilitator, qr(person["id"]), **extra) for _ in range(10)))
    assert {r.json()["result"] for r in responses} == {"ok"}
    assert await attendance_rows(person["id"]) == 1
    assert len(await door_log()) == 1


async def test_denied_scans_are_logged_too(client: Client) -> None:
    door = await a_door(client)
    await scan(client, door.facilitator, "not a code", session_id=door.session_id)
    (entry,) = await door_log()
    assert entry["outcome"] == "invalid" and entry["reason"] == "unknown_code"
    assert entry["session_id"] == door.session_id and entry["by_user_id"] == door.facilitator.id


async def test_the_reported_scan_time_is_kept_and_a_future_one_is_now(client: Client) -> None:
    door = await a_door(client)
    early, late = await register(client, door.session_id, 1), await register(client, door.session_id, 2)
    offline = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    reported = offline.astimezone(timezone(timedelta(hours=2))).isoformat()
    body = (
        await scan(client, door.facilitator, qr(early["id"]), session_id=door.session_id, scanned_at=reported)
    ).json()
    assert body["checked_in_at"] == offline.strftime("%Y-%m-%dT%H:%M:%SZ")
    future = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    body = (await scan(client, door.facilitator, qr(late["id"]), session_id=door.session_id, scanned_at=future)).json()
    at = datetime.fromisoformat(body["checked_in_at"].replace("Z", "+00:00"))
    assert at <= datetime.now(UTC)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"code": ""},
        {"code": "x" * 201},
        {"code": "TP1:AAAA", "registration_id": 1},
        {"code": "TP1:AAAA", "session_id": 0},
        {"code": "TP1:AAAA", "session_id": 2**40},
        {"code": "TP1:AAAA", "scanned_at": "2027-10-07T10:05:00"},
        {"code": "TP1:AAAA", "scanned_at": "yesterday"},
        {"code": "TP1:AAAA", "client_nonce": "n" * 101},
        {"code": "TP1:AAAA", "colour": "red"},
        {"code": 12},
    ],
)
async def test_bad_input_is_a_400(client: Client, body: dict[str, object]) -> None:
    door = await a_door(client)
    response = await client.post("/api/v1/checkin", json=body, headers=door.coordinator.headers)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"status_code", "detail", "extra"}


async def test_an_unknown_door_session_is_a_404(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id)
    response = await scan(client, door.coordinator, qr(person["id"]), session_id=99999)
    assert response.status_code == 404 and response.json()["status_code"] == 404
