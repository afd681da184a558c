"""A door to check people in at: an activity with an assigned facilitator, and people signed up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from httpx import AsyncClient, Response

from app.settings import get_settings
from checkin.codes import CheckinKeys, short_code, sign
from checkin.tables import Attendance, DoorScan
from tests.factories import Account, make_account
from tests.scheduling.factories import create_activity, sessions_of


@dataclass(frozen=True)
class Door:
    coordinator: Account
    facilitator: Account
    activity: dict[str, Any]
    sessions: list[dict[str, Any]]

    @property
    def session_id(self) -> int:
        return int(self.sessions[0]["id"])


async def a_door(client: AsyncClient, **overrides: Any) -> Door:
    """A weekly group from October 2027 with one assigned facilitator."""
    coordinator = await make_account("coordinator")
    facilitator = await make_account("facilitator")
    activity = await create_activity(
        client,
        coordinator.headers,
        **{"start": "2027-10-07T10:00", "exdates": [], "facilitator_ids": [facilitator.id], **overrides},
    )
    return Door(coordinator, facilitator, activity, await sessions_of(client, activity["id"]))


async def register(client: AsyncClient, session_id: int, n: int = 1, **person: Any) -> dict[str, Any]:
    body = {"name": f"Person {n}", "phone": f"+49151{n:08d}", "language": "ar", "consent": True, **person}
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def keys() -> CheckinKeys:
    return CheckinKeys.from_secret(get_settings().secret_key)


def qr(registration_id: int) -> str:
    return sign(registration_id, keys())


def typed(registration_id: int) -> str:
    return short_code(registration_id, keys())


async def scan(client: AsyncClient, account: Account, code: str, **extra: Any) -> Response:
    return await client.post("/api/v1/checkin", json={"code": code, **extra}, headers=account.headers)


async def attendance_rows(registration_id: int) -> int:
    return await Attendance.count().where(Attendance.registration == registration_id)


async def door_log() -> list[dict[str, Any]]:
    return await DoorScan.select().order_by(DoorScan.id)
