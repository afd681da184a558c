"""Attendance per person over a period, across all activities: for coordinators and their funders."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from checkin.services._common import as_utc, utcnow
from checkin.services.marks import Mark, attendance_rate, marked_registrations, stronger
from checkin.services.period import Period
from scheduling.kinds import ActivityStatus
from scheduling.tables import Session


@dataclass(frozen=True, slots=True)
class PersonAttendance:
    participant_id: int
    name: str
    language: str
    activities: int  # activities with at least one registration of theirs in the period
    sessions: int  # sessions they had a registration for, whatever became of it
    present: int  # walk-ins included
    walk_ins: int
    no_shows: int
    excused: int
    waitlisted: int
    upcoming: int
    cancelled: int  # their session was cancelled
    rate: float | None  # present / (present + no-shows); empty when they were expected nowhere
    first_present: str  # local date of the first session they came to, or ""
    last_present: str


PEOPLE_COLUMNS = [field.name for field in fields(PersonAttendance)]


async def people_report(period: Period, *, now: datetime | None = None) -> list[PersonAttendance]:
    """One row per person registered at a session of a published activity starting in the period, by name."""
    now = now or utcnow()

    def scope(session: Any) -> Any:
        return (
            (session.starts_at >= period.start)
            & (session.starts_at < period.end)
            & (session.activity.status == ActivityStatus.published.value)
        )

    sessions = {
        row["id"]: row
        for row in await Session.select(
            Session.id,
            Session.activity,
            Session.starts_at,
            Session.ends_at,
            Session.status,
            Session.activity.timezone.as_alias("timezone"),
        ).where(scope(Session))
    }
    marks: dict[int, dict[int, Mark]] = {}  # participant → session → mark
    walked_in: set[tuple[int, int]] = set()
    about: dict[int, tuple[str, str]] = {}
    for item in await marked_registrations(sessions, scope, now=now):
        per_session = marks.setdefault(item.participant_id, {})
        per_session[item.session_id] = stronger(per_session.get(item.session_id, Mark.not_registered), item.mark)
        if item.walk_in and item.mark is Mark.present:
            walked_in.add((item.participant_id, item.session_id))
        about[item.participant_id] = (item.name, item.language)
    rows = [
        _row(participant_id, about[participant_id], per_session, sessions, walked_in)
        for participant_id, per_session in marks.items()
    ]
    rows.sort(key=lambda row: (row.name.casefold(), row.participant_id))
    return rows


def _row(
    participant_id: int,
    about: tuple[str, str],
    per_session: dict[int, Mark],
    sessions: dict[int, dict[str, Any]],
    walked_in: set[tuple[int, int]],
) -> PersonAttendance:
    counts = {mark: 0 for mark in Mark}
    for mark in per_session.values():
        counts[mark] += 1
    came = sorted(
        as_utc(sessions[sid]["starts_at"]).astimezone(ZoneInfo(sessions[sid]["timezone"])).date().isoformat()
        for sid, mark in per_session.items()
        if mark is Mark.present
    )
    return PersonAttendance(
        participant_id=participant_id,
        name=about[0],
        language=about[1],
        activities=len({sessions[sid]["activity"] for sid in per_session}),
        sessions=len(per_session),
        present=counts[Mark.present],
        walk_ins=sum(1 for sid in per_session if (participant_id, sid) in walked_in),
        no_shows=counts[Mark.no_show],
        excused=counts[Mark.excused],
        waitlisted=counts[Mark.waitlisted],
        upcoming=counts[Mark.upcoming],
        cancelled=counts[Mark.cancelled],
        rate=attendance_rate(counts[Mark.present], counts[Mark.no_show]),
        first_present=came[0] if came else "",
        last_present=came[-1] if came else "",
    )
