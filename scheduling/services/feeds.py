"""Calendar feeds of activities, assembled from the stored schedule and session rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduling.calendars import SeriesEvent, SessionInstance, build_calendar, series_events
from scheduling.errors import ActivityNotFound
from scheduling.kinds import ActivityStatus, SessionStatus
from scheduling.languages import pick_text
from scheduling.recurrence import to_local
from scheduling.services._common import as_utc, schedule_of
from scheduling.tables import Activity, Session


async def activity_calendar(activity_id: int, *, base_url: str, lang: str, fallback: str) -> bytes:
    """The ICS feed of one published activity: one VEVENT with RRULE, EXDATE and overrides."""
    row = (
        await Activity.select(
            *Activity.all_columns(),
            Activity.venue.name.as_alias("venue_name"),
            Activity.venue.address.as_alias("venue_address"),
        )
        .where(Activity.id == activity_id)
        .output(load_json=True)
        .first()
    )
    if row is None or row["status"] != ActivityStatus.published.value:
        raise ActivityNotFound(f"There is no activity with id {activity_id}.")
    schedule = schedule_of(row)
    sessions = [
        SessionInstance(
            session_id=s["id"],
            occurrence=as_utc(s["occurrence"]),
            starts_at=as_utc(s["starts_at"]),
            ends_at=as_utc(s["ends_at"]),
            cancelled=s["status"] == SessionStatus.cancelled.value,
        )
        for s in await Session.select(
            Session.id, Session.occurrence, Session.starts_at, Session.ends_at, Session.status
        )
        .where(Session.activity == activity_id)
        .order_by(Session.occurrence)
    ]
    # Rule dates within the stored range that have no row (removed by an edit) are excluded too.
    stored = {to_local(s.occurrence, schedule.zone) for s in sessions}
    until = as_utc(row["sessions_until"]) if row["sessions_until"] else None
    rule_dates = set(schedule.local_starts(to_local(until, schedule.zone) if until else None, apply_exdates=False))
    excluded_dates: set[datetime] = set()
    if schedule.exdates:  # EXDATEs may lie beyond the stored horizon of an open-ended series
        last_exdate = datetime.combine(max(schedule.exdates), datetime.max.time())
        excluded_dates = {
            local
            for local in schedule.local_starts(last_exdate, apply_exdates=False)
            if local.date() in schedule.exdates
        }
    excluded = sorted((rule_dates - stored) | excluded_dates)
    fallbacks = list(row["languages"] or [])
    location = ", ".join(p for p in (row["venue_name"], row["venue_address"]) if p)
    series = SeriesEvent(
        activity_id=activity_id,
        title=pick_text(row["title"] or {}, lang, [fallback, *fallbacks]),
        description=pick_text(row["description"] or {}, lang, [fallback, *fallbacks]),
        location=location,
        zone=schedule.zone,
        start_local=schedule.start_local,
        duration=schedule.duration,
        rrule=row["rrule"],
        rdates_local=list(schedule.rdates),
        url=f"{base_url}/activities/{activity_id}",
    )
    events = series_events(series, sessions, excluded, base_url)
    last = max([s.ends_at for s in sessions] or [until or as_utc(schedule.occurrences(None)[-1][1])])
    return build_calendar(series.title, events, schedule.start_local.date(), (last + timedelta(days=366)).date())


async def person_calendar(token: str, *, base_url: str, lang: str, fallback: str) -> bytes:
    """A person's own registrations as single events (waitlisted ones TENTATIVE)."""
    from icalendar import Event

    from scheduling.calendars import build_calendar as _build
    from scheduling.services.registrations import registration_by_token, registrations_of_participant

    own = await registration_by_token(token)
    events = []
    rows = await registrations_of_participant(own["participant"])
    host = base_url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "treffpunkt"
    for row in rows:
        if row["status"] == "cancelled":
            continue
        event = Event()
        event.add("uid", f"registration-{row['id']}@{host}")
        event.add("dtstamp", datetime.now(UTC).replace(microsecond=0))
        title = pick_text(row["title"] or {}, lang, [fallback, *(row["languages"] or [])])
        event.add("summary", title)
        zone = ZoneInfo(row["timezone"])
        event.add("dtstart", as_utc(row["starts_at"]).astimezone(zone))
        event.add("dtend", as_utc(row["ends_at"]).astimezone(zone))
        event.add("url", f"{base_url}/r/{row['token']}")
        cancelled = row["session_status"] == SessionStatus.cancelled.value
        event.add(
            "status", "CANCELLED" if cancelled else ("TENTATIVE" if row["status"] == "waitlisted" else "CONFIRMED")
        )
        events.append(event)
    today = datetime.now(UTC).date()
    first = min([as_utc(r["starts_at"]).date() for r in rows] or [today])
    last = max([as_utc(r["ends_at"]).date() for r in rows] or [today])
    return _build("Treffpunkt", events, first, last + timedelta(days=366))
