"""Calendar feeds expand, with an independent expander, to exactly the sessions the API lists."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import recurring_ical_events
from httpx import AsyncClient as Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.calendars import SeriesEvent, build_calendar, series_events
from scheduling.errors import SchedulingError
from scheduling.recurrence import build_schedule
from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of


def expand(ics: bytes, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    calendar = icalendar.Calendar.from_ical(ics)
    events = recurring_ical_events.of(calendar).between(start, end)
    return sorted((e["DTSTART"].dt.astimezone(UTC), e["DTEND"].dt.astimezone(UTC)) for e in events)


def api_instants(sessions: list[dict[str, object]]) -> list[tuple[datetime, datetime]]:
    return sorted(
        (datetime.fromisoformat(str(s["starts_at"])), datetime.fromisoformat(str(s["ends_at"])))
        for s in sessions
        if s["status"] == "scheduled"
    )


WIDE = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2045, 1, 1, tzinfo=UTC))


async def test_feed_matches_the_api_across_both_dst_changes(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(
        client,
        coordinator.headers,
        start="2026-10-01T10:00",
        rrule="FREQ=WEEKLY;BYDAY=TH;UNTIL=20270415",
        exdates=["2026-10-29"],
    )
    response = await client.get(f"/ics/activities/{activity['id']}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    ics = response.content
    assert b"BEGIN:VTIMEZONE" in ics and b"TZID:Europe/Berlin" in ics
    assert b"RRULE:FREQ=WEEKLY;UNTIL=20270415T215959Z;BYDAY=TH" in ics
    assert b"EXDATE;TZID=Europe/Berlin:20261029T100000" in ics
    expanded = expand(ics, *WIDE)
    assert expanded == api_instants(await sessions_of(client, activity["id"]))
    assert {start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).hour for start, _ in expanded} == {10}


async def test_cancelling_a_session_removes_it_from_the_feed(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    sessions = await sessions_of(client, activity["id"])
    await client.patch(
        f"/api/v1/sessions/{sessions[2]['id']}", json={"status": "cancelled"}, headers=coordinator.headers
    )
    ics = (await client.get(f"/ics/activities/{activity['id']}.ics")).content
    expanded = expand(ics, *WIDE)
    assert len(expanded) == len(sessions) - 1
    assert expanded == api_instants(await sessions_of(client, activity["id"]))


async def test_a_moved_session_is_an_override_with_recurrence_id(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    sessions = await sessions_of(client, activity["id"])
    await client.patch(
        f"/api/v1/sessions/{sessions[1]['id']}",
        json={"starts_at": "2027-10-16T09:00:00+02:00"},
        headers=coordinator.headers,
    )
    ics = (await client.get(f"/ics/activities/{activity['id']}.ics")).content
    assert b"RECURRENCE-ID;TZID=Europe/Berlin:20271014T100000" in ics
    assert expand(ics, *WIDE) == api_instants(await sessions_of(client, activity["id"]))


async def test_uid_is_stable_between_downloads(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers)
    first = icalendar.Calendar.from_ical((await client.get(f"/ics/activities/{activity['id']}.ics")).content)
    second = icalendar.Calendar.from_ical((await client.get(f"/ics/activities/{activity['id']}.ics")).content)
    assert [e["UID"] for e in first.walk("VEVENT")] == [e["UID"] for e in second.walk("VEVENT")]


async def test_unknown_activity_feed_is_404(client: Client) -> None:
    assert (await client.get("/ics/activities/424242.ics")).status_code == 404


# --- property: our expansion equals the independent expander's ------------------------

ZONES = [
    "Europe/Berlin",
    "Europe/Kyiv",
    "Asia/Kabul",
    "America/New_York",
    "Australia/Sydney",
    "UTC",
    "Africa/Addis_Ababa",
    "Asia/Tehran",
]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def rules(draw: st.DrawFn) -> tuple[str, str, str, list[str]]:
    zone = draw(st.sampled_from(ZONES))
    day = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
    hour = draw(st.integers(min_value=6, max_value=21))
    minute = draw(st.sampled_from([0, 15, 30, 45]))
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}"]
    interval = draw(st.integers(min_value=1, max_value=3))
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if freq == "WEEKLY" and draw(st.booleans()):
        parts.append("BYDAY=" + ",".join(draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))))
    if freq == "MONTHLY":
        choice = draw(st.sampled_from(["none", "nth", "monthday"]))
        if choice == "nth":
            parts.append(f"BYDAY={draw(st.sampled_from(['1', '2', '3', '-1']))}{draw(st.sampled_from(DAYS))}")
        elif choice == "monthday":
            parts.append(f"BYMONTHDAY={draw(st.integers(min_value=1, max_value=28))}")
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(min_value=1, max_value=30))}")
    else:
        until = day + timedelta(days=draw(st.integers(min_value=0, max_value=400)))
        parts.append(f"UNTIL={until:%Y%m%d}")
    start = f"{day.isoformat()}T{hour:02d}:{minute:02d}"
    exdates = [(day + timedelta(days=n)).isoformat() for n in draw(st.lists(st.integers(0, 60), max_size=3))]
    return zone, start, ";".join(parts), exdates


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules())
def test_expansion_matches_recurring_ical_events(case: tuple[str, str, str, list[str]]) -> None:
    zone, start, rule, exdates = case
    try:
        schedule = build_schedule(timezone=zone, start=start, duration_minutes=90, rrule_text=rule, exdates=exdates)
    except SchedulingError:
        return  # e.g. a start in a DST gap, or every date excluded: refused with a clear error
    ours = schedule.occurrences()
    excluded = [
        local
        for local in build_schedule(timezone=zone, start=start, duration_minutes=90, rrule_text=rule).local_starts()
        if local.date() in schedule.exdates
    ]
    series = SeriesEvent(
        activity_id=1,
        title="t",
        description="",
        location="",
        zone=schedule.zone,
        start_local=schedule.start_local,
        duration=schedule.duration,
        rrule=schedule.rule.text if schedule.rule else None,
        rdates_local=[],
        url="x",
    )
    ics = build_calendar("t", series_events(series, [], excluded, "http://x"), date(2025, 1, 1), date(2031, 1, 1))
    assert expand(ics, *WIDE) == ours
