"""Where a facilitator may see and act (``scheduling.access``), and the staff registration API under that rule.

Coordinators and admins: every session. A facilitator: the sessions of activities they are assigned
to, and of activities nobody is assigned to; an activity with assigned facilitators is closed to the
others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient as Client

from scheduling import access
from scheduling.tables import Registration
from tests.factories import Account, make_account
from tests.scheduling.factories import create_activity, sessions_of

ASK = "ask a coordinator to add you to this activity"
PERSON = {"name": "Amina Haddad", "language": "ar", "consent": True}


@dataclass(frozen=True)
class Place:
    """Two activities: ``closed`` with ``assigned`` as its facilitator, ``open`` with nobody assigned."""

    coordinator: Account
    assigned: Account
    stranger: Account  # a facilitator assigned nowhere
    closed: dict[str, Any]
    open: dict[str, Any]
    closed_sessions: list[int]
    open_sessions: list[int]


async def a_place(client: Client) -> Place:
    coordinator = await make_account("coordinator")
    assigned = await make_account("facilitator")
    stranger = await make_account("facilitator")
    common = {"start": "2027-10-07T10:00", "exdates": [], "rrule": "FREQ=WEEKLY;COUNT=3"}
    closed = await create_activity(client, coordinator.headers, facilitator_ids=[assigned.id], **common)
    opened = await create_activity(client, coordinator.headers, **common)  # the contract's body: nobody assigned
    return Place(
        coordinator,
        assigned,
        stranger,
        closed,
        opened,
        [int(s["id"]) for s in await sessions_of(client, closed["id"])],
        [int(s["id"]) for s in await sessions_of(client, opened["id"])],
    )


async def sign_up(client: Client, session_id: int, n: int) -> int:
    response = await client.post(
        f"/api/v1/sessions/{session_id}/registrations", json={**PERSON, "phone": f"+49151{n:08d}"}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def refused(response: Any) -> bool:
    return response.status_code == 403 and ASK in response.json()["detail"]


async def status_of(registration_id: int) -> tuple[str, int]:
    row = (
        await Registration.select(Registration.status, Registration.session)
        .where(Registration.id == registration_id)
        .first()
    )
    assert row is not None
    return row["status"], row["session"]


# --- the rule itself ----------------------------------------------------------------------


async def test_the_rule_for_each_kind_of_staff_member(client: Client) -> None:
    place = await a_place(client)
    closed, opened = place.closed_sessions[0], place.open_sessions[0]
    coordinator = access.Staff(place.coordinator.id, any_session=True)
    assigned = access.Staff(place.assigned.id)
    stranger = access.Staff(place.stranger.id)
    assert [await access.may_run_session(who, closed) for who in (coordinator, assigned, stranger)] == [
        True,
        True,
        False,
    ]
    assert [await access.may_run_session(who, opened) for who in (coordinator, assigned, stranger)] == [
        True,
        True,  # assigned elsewhere does not close the shared door to them
        True,
    ]
    assert await access.may_run_activity(stranger, place.closed["id"]) is False
    assert await access.may_run_activity(stranger, place.open["id"]) is True
    assert await access.may_run_activity(assigned, place.closed["id"]) is True
    registration = await sign_up(client, closed, 1)
    assert await access.may_run_registration(stranger, registration) is False
    assert await access.may_run_registration(assigned, registration) is True
    assert await access.may_run_registration(coordinator, registration) is True


async def test_unknown_and_impossible_ids_are_none_for_everyone(client: Client) -> None:
    place = await a_place(client)
    for who in (access.Staff(place.coordinator.id, any_session=True), access.Staff(place.stranger.id)):
        for missing in (987654, 0, -1, 2**31, 2**63):
            assert await access.may_run_session(who, missing) is None
            assert await access.may_run_activity(who, missing) is None
            assert await access.may_run_registration(who, missing) is None


async def test_assigning_a_facilitator_closes_the_activity_to_the_others(client: Client) -> None:
    place = await a_place(client)
    session = place.open_sessions[0]
    stranger = access.Staff(place.stranger.id)
    assert await access.may_run_session(stranger, session) is True
    changed = await client.patch(
        f"/api/v1/activities/{place.open['id']}",
        json={"facilitator_ids": [place.assigned.id]},
        headers=place.coordinator.headers,
    )
    assert changed.status_code == 200, changed.text
    assert await access.may_run_session(stranger, session) is False
    assert await access.may_run_session(access.Staff(place.assigned.id), session) is True
    reopened = await client.patch(
        f"/api/v1/activities/{place.open['id']}", json={"facilitator_ids": []}, headers=place.coordinator.headers
    )
    assert reopened.status_code == 200, reopened.text
    assert await access.may_run_session(stranger, session) is True


# --- the roster API -----------------------------------------------------------------------


async def test_the_roster_api_follows_the_rule(client: Client) -> None:
    place = await a_place(client)
    closed, opened = place.closed_sessions[0], place.open_sessions[0]
    await sign_up(client, closed, 1)
    await sign_up(client, opened, 2)
    admin = await make_account("admin")

    def roster(session_id: int, account: Account) -> Any:
        return client.get(f"/api/v1/sessions/{session_id}/registrations", headers=account.headers)

    for account in (place.assigned, place.coordinator, admin):
        response = await roster(closed, account)
        assert response.status_code == 200, response.text
        assert [r["name"] for r in response.json()] == ["Amina Haddad"]
    answer = await roster(closed, place.stranger)
    assert refused(answer), answer.text
    assert set(answer.json()) == {"status_code", "detail", "extra"}
    for account in (place.stranger, place.assigned, place.coordinator):
        response = await roster(opened, account)
        assert response.status_code == 200, response.text
        assert len(response.json()) == 1
    assert (await roster(987654, place.stranger)).status_code == 404
    assert (await roster(987654, place.coordinator)).status_code == 404


# --- staff acting on registrations through the API -----------------------------------------


async def test_adding_a_person_by_hand_follows_the_rule(client: Client) -> None:
    place = await a_place(client)
    closed, opened = place.closed_sessions[0], place.open_sessions[0]
    body = {"name": "Walk-in Person", "language": "fa"}
    answer = await client.post(f"/api/v1/sessions/{closed}/registrations", json=body, headers=place.stranger.headers)
    assert refused(answer), answer.text
    assert await Registration.count().where(Registration.session == closed) == 0
    for account, session_id in ((place.assigned, closed), (place.stranger, opened), (place.coordinator, closed)):
        added = await client.post(
            f"/api/v1/sessions/{session_id}/registrations",
            json={**body, "name": f"Person of {account.email}"},
            headers=account.headers,
        )
        assert added.status_code == 201, added.text
    rows = await Registration.select(Registration.source).where(Registration.session == opened)
    assert [row["source"] for row in rows] == ["staff"]


async def test_cancelling_and_history_follow_the_rule(client: Client) -> None:
    place = await a_place(client)
    in_closed = await sign_up(client, place.closed_sessions[0], 1)
    in_open = await sign_up(client, place.open_sessions[0], 2)
    history = await client.get(f"/api/v1/staff/registrations/{in_closed}/history", headers=place.stranger.headers)
    assert refused(history), history.text
    answer = await client.delete(f"/api/v1/staff/registrations/{in_closed}", headers=place.stranger.headers)
    assert refused(answer), answer.text
    assert (await status_of(in_closed))[0] == "confirmed"
    mine = await client.get(f"/api/v1/staff/registrations/{in_closed}/history", headers=place.assigned.headers)
    assert mine.status_code == 200 and mine.json()
    assert (
        await client.delete(f"/api/v1/staff/registrations/{in_closed}", headers=place.assigned.headers)
    ).status_code == 204
    assert (await status_of(in_closed))[0] == "cancelled"
    shared = await client.get(f"/api/v1/staff/registrations/{in_open}/history", headers=place.stranger.headers)
    assert shared.status_code == 200, shared.text
    assert (
        await client.delete(f"/api/v1/staff/registrations/{in_open}", headers=place.stranger.headers)
    ).status_code == 204
    assert (await status_of(in_open))[0] == "cancelled"
    missing = await client.delete("/api/v1/staff/registrations/987654", headers=place.stranger.headers)
    assert missing.status_code == 404


@pytest.mark.parametrize("who", ["stranger", "assigned", "coordinator"])
async def test_moving_needs_both_sessions_to_be_yours(client: Client, who: str) -> None:
    place = await a_place(client)
    account: Account = getattr(place, who)
    in_open = await sign_up(client, place.open_sessions[0], 1)

    def move(registration_id: int, session_id: int) -> Any:
        return client.post(
            f"/api/v1/staff/registrations/{registration_id}/move",
            json={"session_id": session_id},
            headers=account.headers,
        )

    into_closed = await move(in_open, place.closed_sessions[1])
    if who == "stranger":
        assert refused(into_closed), into_closed.text
        assert await status_of(in_open) == ("confirmed", place.open_sessions[0])
        within_open = await move(in_open, place.open_sessions[1])
        assert within_open.status_code == 200, within_open.text
        assert (await status_of(in_open))[0] == "cancelled"  # the place moved to the other date
    else:
        # the assigned facilitator runs both: the open activity is everyone's, the closed one theirs
        assert into_closed.status_code == 200, into_closed.text
    in_closed = await sign_up(client, place.closed_sessions[0], 2)
    out_of_closed = await move(in_closed, place.open_sessions[2])
    if who == "stranger":
        assert refused(out_of_closed), out_of_closed.text
        assert await status_of(in_closed) == ("confirmed", place.closed_sessions[0])
    else:
        assert out_of_closed.status_code == 200, out_of_closed.text
