"""Who was there: a session's attendance for the door and for staff, and marking no-shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.database import write_transaction
from checkin.errors import SessionStateRefused
from checkin.outcomes import CheckinMethod
from checkin.services._common import as_utc, session_row, utcnow
from checkin.tables import Attendance, NoShow, WalkInCount
from scheduling.kinds import RegistrationStatus, SessionStatus
from scheduling.tables import Registration, Session

NO_SHOW_GRACE = timedelta(minutes=30)  # late check-ins right after the end still count as present
NO_SHOW_LOOKBACK = timedelta(days=14)  # how far back the job looks for sessions it has not marked yet


@dataclass(frozen=True, slots=True)
class Attendee:
    registration_id: int
    name: str
    language: str
    status: str  # the registration's status
    source: str  # how they registered: web, api, staff, walk_in, series
    checked_in_at: datetime | None
    method: str | None
    no_show: bool


@dataclass(frozen=True, slots=True)
class SessionAttendance:
    """``expected``: confirmed registrations made before the door opened (walk-ins are not expected);
    ``checked_in`` counts everyone checked in, walk-ins included; ``anonymous_walk_ins`` is the head-count."""

    session_id: int
    expected: int
    checked_in: int
    walk_ins: int
    anonymous_walk_ins: int
    no_shows: int
    people: list[Attendee]


async def attendance(session_id: int) -> SessionAttendance:
    """Everyone confirmed for the session or checked in at it, by name."""
    await session_row(session_id)
    registrations = await Registration.select(
        Registration.id,
        Registration.status,
        Registration.source,
        Registration.participant.name.as_alias("name"),
        Registration.participant.language.as_alias("language"),
    ).where(Registration.session == session_id)
    present = {
        row["registration"]: row
        for row in await Attendance.select(Attendance.registration, Attendance.checked_in_at, Attendance.method).where(
            Attendance.session == session_id
        )
    }
    absent = {
        row["registration"] for row in await NoShow.select(NoShow.registration).where(NoShow.session == session_id)
    }
    head_count = await WalkInCount.select(WalkInCount.head_count).where(WalkInCount.session == session_id).first()
    people = [
        Attendee(
            registration_id=row["id"],
            name=row["name"],
            language=row["language"],
            status=row["status"],
            source=row["source"],
            checked_in_at=present[row["id"]]["checked_in_at"] if row["id"] in present else None,
            method=present[row["id"]]["method"] if row["id"] in present else None,
            no_show=row["id"] in absent,
        )
        for row in registrations
        if row["status"] == RegistrationStatus.confirmed.value or row["id"] in present
    ]
    people.sort(key=lambda attendee: (attendee.name.casefold(), attendee.registration_id))
    return SessionAttendance(
        session_id=session_id,
        expected=sum(1 for p in people if p.status == RegistrationStatus.confirmed.value and p.source != "walk_in"),
        checked_in=len(present),
        walk_ins=sum(1 for row in present.values() if row["method"] == CheckinMethod.walk_in.value),
        anonymous_walk_ins=int(head_count["head_count"]) if head_count else 0,
        no_shows=len(absent),
        people=people,
    )


async def mark_no_shows(session_id: int, *, now: datetime | None = None) -> int:
    """Mark everyone confirmed but not checked in as a no-show, once the session is over.

    Safe to run again (and from a job): people marked before stay marked, and a late
    check-in removes the mark. Returns the session's number of no-shows.
    """
    now = now or utcnow()
    async with write_transaction():
        session = await session_row(session_id)
        if session["status"] == SessionStatus.cancelled.value:
            raise SessionStateRefused("This session was cancelled, so nobody was expected.")
        if as_utc(session["ends_at"]) > now:
            raise SessionStateRefused("No-shows can be marked once the session is over.")
        attended = {
            row["registration"]
            for row in await Attendance.select(Attendance.registration).where(Attendance.session == session_id)
        }
        confirmed = await Registration.select(Registration.id).where(
            Registration.session == session_id, Registration.status == RegistrationStatus.confirmed.value
        )
        missing = [
            NoShow(registration=row["id"], session=session_id, marked_at=now)
            for row in confirmed
            if row["id"] not in attended
        ]
        if missing:
            await NoShow.insert(*missing).on_conflict(action="DO NOTHING")
        return await NoShow.count().where(NoShow.session == session_id)


async def mark_due_no_shows(*, now: datetime | None = None) -> int:
    """Mark no-shows of every session that ended between two weeks and half an hour ago (the job's work).

    Cancelled sessions are skipped; sessions already marked are marked again harmlessly.
    Returns how many sessions were looked at.
    """
    now = now or utcnow()
    due = await Session.select(Session.id).where(
        Session.ends_at >= now - NO_SHOW_LOOKBACK,
        Session.ends_at <= now - NO_SHOW_GRACE,
        Session.status == SessionStatus.scheduled.value,
        Session.confirmed_count > 0,
    )
    for row in due:
        await mark_no_shows(row["id"], now=now)
    return len(due)
