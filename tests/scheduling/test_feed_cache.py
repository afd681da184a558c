"""The activity feed is served from a cache, but never a stale one."""

from __future__ import annotations

import icalendar
from httpx import AsyncClient as Client

from app.public_cache import forget_public_answers
from scheduling.kinds import ActivityStatus
from scheduling.services import set_activity_status
from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of


async def feed(client: Client, activity_id: int) -> icalendar.Calendar:
    response = await client.get(f"/ics/activities/{activity_id}.ics")
    assert response.status_code == 200, response.text
    return icalendar.Calendar.from_ical(response.content)


def summaries(calendar: icalendar.Calendar) -> set[str]:
    return {str(event["SUMMARY"]) for event in calendar.walk("VEVENT")}


async def test_every_change_shows_in_the_next_download(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    activity_id = activity["id"]
    sessions = await sessions_of(client, activity_id)
    first = await feed(client, activity_id)
    assert summaries(first) == {"Arbeitsleben in Deutschland"}
    assert not first.walk("VEVENT")[0].get("EXDATE")

    # a sign-up does not change the feed: the same bytes come back
    signed = await client.post(
        f"/api/v1/sessions/{sessions[0]['id']}/registrations",
        json={"name": "Amina Haddad", "phone": "0151 23456789", "language": "ar", "consent": True},
    )
    assert signed.status_code == 201, signed.text
    assert (await feed(client, activity_id)).to_ical() == first.to_ical()

    # the title of the series
    changed = await client.patch(
        f"/api/v1/activities/{activity_id}",
        json={"title": {"de": "Arbeitswelt in Deutschland"}},
        headers=coordinator.headers,
    )
    assert changed.status_code == 200, changed.text
    assert summaries(await feed(client, activity_id)) == {"Arbeitswelt in Deutschland"}

    # one session cancelled: an EXDATE appears
    cancelled = await client.patch(
        f"/api/v1/sessions/{sessions[2]['id']}", json={"status": "cancelled"}, headers=coordinator.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    master = (await feed(client, activity_id)).walk("VEVENT")[0]
    assert b"20271021T100000" in master.to_ical()

    # one session moved: an override with RECURRENCE-ID appears
    moved = await client.patch(
        f"/api/v1/sessions/{sessions[1]['id']}",
        json={"starts_at": "2027-10-16T09:00:00+02:00"},
        headers=coordinator.headers,
    )
    assert moved.status_code == 200, moved.text
    overrides = [e for e in (await feed(client, activity_id)).walk("VEVENT") if e.get("RECURRENCE-ID")]
    assert len(overrides) == 1 and overrides[0]["DTSTART"].dt.day == 16

    # the activity withdrawn outside a request (as the worker would): once the one-second
    # public memory has let go of the answer (app/public_cache.py), the feed is gone
    await set_activity_status(activity_id, ActivityStatus.withdrawn)
    forget_public_answers()
    assert (await client.get(f"/ics/activities/{activity_id}.ics")).status_code == 404
