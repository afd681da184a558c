"""iCalendar (RFC 5545) feeds built with ``icalendar``.

An activity is one VEVENT with DTSTART in its zone, RRULE, RDATE and EXDATE, plus a
VTIMEZONE. Cancelled sessions are excluded with EXDATE; moved sessions are overrides
with RECURRENCE-ID. Expanding the feed gives exactly the scheduled sessions the API
lists (the tests check this with an independent expander).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

PRODID = "-//Treffpunkt//Treffpunkt//EN"


@dataclass(frozen=True, slots=True)
class SeriesEvent:
    """What the feed needs to know of one activity."""

    activity_id: int
    title: str
    description: str
    location: str
    zone: ZoneInfo
    start_local: datetime
    duration: timedelta
    rrule: str | None
    rdates_local: Sequence[datetime]
    url: str


@dataclass(frozen=True, slots=True)
class SessionInstance:
    session_id: int
    occurrence: datetime  # UTC instant the rule produced
    starts_at: datetime
    ends_at: datetime
    cancelled: bool


def uid_for_activity(activity_id: int, base_url: str) -> str:
    host = urlsplit(base_url).hostname or "treffpunkt"
    return f"activity-{activity_id}@{host}"


def _new_calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone)


def _rule_occurrences_local(series: SeriesEvent, sessions: Iterable[SessionInstance]) -> set[datetime]:
    return {_local(s.occurrence, series.zone).replace(tzinfo=None) for s in sessions}


def series_events(
    series: SeriesEvent, sessions: Sequence[SessionInstance], excluded_local: Iterable[datetime], base_url: str
) -> list[Event]:
    """The master VEVENT and its overrides for one activity.

    ``excluded_local`` are the rule's wall-clock starts that have no session (EXDATEs).
    """
    stamp = datetime.now(UTC).replace(microsecond=0)
    uid = uid_for_activity(series.activity_id, base_url)
    master = Event()
    master.add("uid", uid)
    master.add("dtstamp", stamp)
    master.add("summary", series.title)
    if series.description:
        master.add("description", series.description)
    if series.location:
        master.add("location", series.location)
    master.add("url", series.url)
    master.add("dtstart", series.start_local.replace(tzinfo=series.zone))
    master.add("dtend", (series.start_local + series.duration).replace(tzinfo=series.zone))
    if series.rrule:
        master.add("rrule", vRecur.from_ical(series.rrule))
    if series.rdates_local:
        master.add("rdate", [d.replace(tzinfo=series.zone) for d in series.rdates_local])
    excluded = sorted(
        set(excluded_local) | {_local(s.occurrence, series.zone).replace(tzinfo=None) for s in sessions if s.cancelled}
    )
    if excluded:
        master.add("exdate", [d.replace(tzinfo=series.zone) for d in excluded])
    events = [master]
    for session in sessions:
        if session.cancelled or (
            session.starts_at == session.occurrence and session.ends_at - session.starts_at == series.duration
        ):
            continue
        override = Event()
        override.add("uid", uid)
        override.add("dtstamp", stamp)
        override.add("recurrence-id", _local(session.occurrence, series.zone))
        override.add("summary", series.title)
        if series.location:
            override.add("location", series.location)
        override.add("dtstart", _local(session.starts_at, series.zone))
        override.add("dtend", _local(session.ends_at, series.zone))
        override.add("url", series.url)
        events.append(override)
    return events


def build_calendar(name: str, events: Iterable[Event], first: date, last: date) -> bytes:
    calendar = _new_calendar(name)
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


__all__ = ["SeriesEvent", "SessionInstance", "build_calendar", "series_events", "uid_for_activity"]
