"""Calendar feeds of activities, assembled from the stored schedule and session rows."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduling.calendars import SeriesEvent, SessionInstance, build_calendar, series_events
from scheduling.errors import ActivityNotFound
from scheduling.kinds import ActivityStatus, SessionStatus
from scheduling.languages import pick_text
from scheduling.recurrence import to_local
from scheduling.services._common import as_utc, schedule_of
from scheduling.tables import Activity, Session

# Built feeds, per process, keyed by what they are built from. A feed changes only when its
# activity row, its venue or one of its sessions does; sign-ups (the counters) do not show in it.
# So each request reads one cheap fingerprint row and serves the stored bytes when it matches.
_FEED_CACHE_SIZE = 256
_feeds: OrderedDict[tuple[int, str, str, str], tuple[tuple[Any, ...], bytes]] = OrderedDict()

# Every column of the activity, the venue's name and address, and the sessions' count, highest
# id and latest change: every session change (time, cancellation, restoring) sets updated_at,
# new sessions raise the highest id, deleted ones lower the count.
_FINGERPRINT = (
    "SELECT a.*, v.name AS venue_name, v.address AS venue_address,"
    ' (SELECT count(*) FROM "session" s WHERE s.activity = a.id) AS session_count,'
    ' (SELECT max(s.id) FROM "session" s WHERE s.activity = a.id) AS session_max_id,'
    ' (SELECT max(s.updated_at) FROM "session" s WHERE s.activity = a.id) AS session_changed'
    " FROM activity a LEFT JOIN venue v ON v.id = a.venue WHERE a.id = {}"
)


async def activity_calendar(activity_id: int, *, base_url: str, lang: str, fallback: str) -> bytes:
    """The ICS feed of one published activity: one VEVENT with RRULE, EXDATE and overrides.

    Served from a per-process cache while the activity, its venue and its sessions are unchanged.
    """
    rows = await Activity.raw(_FINGERPRINT, activity_id)
    if not rows or rows[0]["status"] != ActivityStatus.published.value:
        raise ActivityNotFound(f"There is no activity with id {activity_id}.")
    fingerprint = tuple(str(value) for value in rows[0].values())
    key = (activity_id, lang, fallback, base_url)
    cached = _feeds.get(key)
    if cached is not None and cached[0] == fingerprint:
        _feeds.move_to_end(key)
        return cached[1]
    body = await _build_activity_calendar(activity_id, base_url=base_url, lang=lang, fallback=fallback)
    _feeds[key] = (fingerprint, body)  # read before building: a change meanwhile only means a rebuild
    _feeds.move_to_end(key)
    while len(_feeds) > _FEED_CACHE_SIZE:
        _feeds.popitem(last=False)
    return body


async def _build_activity_calendar(activity_id: int, *, base_url: str, lang: str, fallback: str) -> bytes:
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
