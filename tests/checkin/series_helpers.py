"""A small series with every kind of mark, built through the real API (shared by the report tests).

Amal enrols in the whole series, Boris from the second session on (one person each, however
many sessions), Zara walks in to the first session. Marks for the first four sessions:

- Amal: present, no-show, excused (cancelled her place), cancelled (the session was);
- Boris: not registered, present, upcoming, cancelled;
- Zara: present (walk-in), then not registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from httpx import AsyncClient

from checkin import services
from scheduling.tables import Registration
from tests.checkin.helpers import Door, a_door, qr, register, scan

OCTOBER = {"from": "2027-10-01", "to": "2027-11-01"}  # the first four Thursdays of the door's series


@dataclass(frozen=True)
class Series:
    door: Door
    amal: int  # participant ids
    boris: int
    zara: int

    def session(self, index: int) -> int:
        return int(self.door.sessions[index]["id"])


async def registration_of(participant_id: int, session_id: int) -> int:
    row = (
        await Registration.select(Registration.id)
        .where(Registration.participant == participant_id, Registration.session == session_id)
        .first()
    )
    assert row is not None
    return int(row["id"])


async def participant_of(registration_id: int) -> int:
    row = await Registration.select(Registration.participant).where(Registration.id == registration_id).first()
    assert row is not None
    return int(row["participant"])


async def a_series(client: AsyncClient) -> Series:
    door = await a_door(client)
    first, second, third, fourth = (int(s["id"]) for s in door.sessions[:4])
    amal = await participant_of((await register(client, first, 1, name="Amal", series=True))["id"])
    boris = await participant_of((await register(client, second, 2, name="Boris", language="uk", series=True))["id"])
    await scan(client, door.facilitator, qr(await registration_of(amal, first)), session_id=first)
    await scan(client, door.facilitator, qr(await registration_of(boris, second)), session_id=second)
    walked = await client.post(
        f"/api/v1/sessions/{first}/walk-ins", json={"name": "Zara", "language": "fa"}, headers=door.facilitator.headers
    )
    assert walked.status_code == 201, walked.text
    zara = await participant_of(walked.json()["registration"]["id"])
    await services.mark_no_shows(second, now=datetime(2027, 10, 14, 18, 0, tzinfo=UTC))
    excused = await client.delete(
        f"/api/v1/staff/registrations/{await registration_of(amal, third)}", headers=door.coordinator.headers
    )
    assert excused.status_code == 204, excused.text
    cancelled = await client.patch(
        f"/api/v1/sessions/{fourth}", json={"status": "cancelled"}, headers=door.coordinator.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    return Series(door=door, amal=amal, boris=boris, zara=zara)


def expected_marks() -> dict[str, list[str]]:
    return {
        "Amal": ["present", "no_show", "excused", "cancelled"],
        "Boris": ["not_registered", "present", "upcoming", "cancelled"],
        "Zara": ["present", "not_registered", "not_registered", "not_registered"],
    }


__all__ = ["OCTOBER", "Series", "a_series", "expected_marks", "participant_of", "registration_of"]
