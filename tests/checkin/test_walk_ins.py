"""Walk-ins: registered and checked in at the door at once, within capacity; the anonymous head-count."""

from __future__ import annotations

from httpx import AsyncClient as Client

from checkin.tables import Attendance
from scheduling.tables import Registration
from tests.checkin.helpers import a_door, register

WALK_IN = {"name": "Omid Rahimi", "language": "fa"}


async def test_a_walk_in_is_registered_and_checked_in(client: Client) -> None:
    door = await a_door(client)
    response = await client.post(
        f"/api/v1/sessions/{door.session_id}/walk-ins", json=WALK_IN, headers=door.facilitator.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["result"] == "ok" and body["checked_in_at"]
    assert body["registration"]["name"] == "Omid Rahimi" and body["registration"]["status"] == "confirmed"
    row = await Registration.select(Registration.source).where(Registration.id == body["registration"]["id"]).first()
    assert row["source"] == "walk_in"
    assert (await Attendance.select(Attendance.method).first())["method"] == "walk_in"


async def test_a_walk_in_with_a_known_phone_checks_in_the_existing_registration(client: Client) -> None:
    door = await a_door(client)
    person = await register(client, door.session_id, phone="+4915100000007")
    response = await client.post(
        f"/api/v1/sessions/{door.session_id}/walk-ins",
        json={**WALK_IN, "phone": "0151 00000007"},
        headers=door.facilitator.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["registration"]["id"] == person["id"]
    assert await Registration.count() == 1


async def test_a_full_session_refuses_a_walk_in(client: Client) -> None:
    door = await a_door(client, capacity=1)
    await register(client, door.session_id)
    response = await client.post(
        f"/api/v1/sessions/{door.session_id}/walk-ins", json=WALK_IN, headers=door.facilitator.headers
    )
    assert response.status_code == 409, response.text
    assert "full" in response.json()["detail"]
    assert await Registration.count() == 1  # not left on the waiting list
    assert await Attendance.count() == 0


async def test_a_walk_in_with_bad_details_is_a_400_naming_the_field(client: Client) -> None:
    door = await a_door(client)
    for body, field in (({**WALK_IN, "language": "zz-qq"}, "language"), ({**WALK_IN, "phone": "call me"}, "phone")):
        response = await client.post(
            f"/api/v1/sessions/{door.session_id}/walk-ins", json=body, headers=door.facilitator.headers
        )
        assert response.status_code == 400, response.text
        assert response.json()["extra"]["field"] == field


async def test_the_anonymous_head_count_adds_up_and_never_goes_below_zero(client: Client) -> None:
    door = await a_door(client, kind="cafe", capacity=None, rrule=None, title={"de": "Begegnungscafé"})
    url = f"/api/v1/sessions/{door.session_id}/anonymous-walk-ins"
    for delta, expected in ((3, 3), (2, 5), (-1, 4)):
        response = await client.post(url, json={"delta": delta}, headers=door.facilitator.headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"session_id": door.session_id, "anonymous_walk_ins": expected}
    too_many = await client.post(url, json={"delta": -5}, headers=door.facilitator.headers)
    assert too_many.status_code == 400 and too_many.json()["extra"] == {"field": "delta"}
    summary = (
        await client.get(f"/api/v1/sessions/{door.session_id}/attendance", headers=door.facilitator.headers)
    ).json()
    assert summary["anonymous_walk_ins"] == 4
