"""One mark per person and session: what their attendance record says, for series and people reports.

The mark of a registration, in order of precedence when a person has more than one at a session:

- ``present``: checked in (walk-ins included);
- ``no_show``: confirmed, not checked in, and the session is over (marked by the hourly job,
  or derived here when the job has not run yet, so a report never waits for it);
- ``upcoming``: confirmed for a session that is not over yet;
- ``waitlisted``: on the waiting list, never had a place;
- ``excused``: the person cancelled their place;
- ``cancelled``: the session itself was cancelled;
- ``not_registered``: no registration at that session.

The attendance rate counts only what a person could have attended: present / (present + no-show).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from checkin.services._common import as_utc
from checkin.tables import Attendance, NoShow
from scheduling.kinds import RegistrationStatus, SessionStatus
from scheduling.tables import Registration


class Mark(StrEnum):
    present = "present"
    no_show = "no_show"
    upcoming = "upcoming"
    waitlisted = "waitlisted"
    excused = "excused"
    cancelled = "cancelled"
    not_registered = "not_registered"


PRECEDENCE = list(Mark)  # earlier wins


def stronger(first: Mark, second: Mark) -> Mark:
    return first if PRECEDENCE.index(first) <= PRECEDENCE.index(second) else second


def mark_of(
    *, registration_status: str, session_status: str, ends_at: datetime, now: datetime, present: bool, no_show: bool
) -> Mark:
    """The mark of one registration (see the module's docstring)."""
    if present:
        return Mark.present
    if session_status == SessionStatus.cancelled.value:
        return Mark.cancelled
    if registration_status == RegistrationStatus.cancelled.value:
        return Mark.excused
    if registration_status == RegistrationStatus.waitlisted.value:
        return Mark.waitlisted
    if no_show or as_utc(ends_at) <= now:
        return Mark.no_show
    return Mark.upcoming


def attendance_rate(present: int, no_shows: int) -> float | None:
    """Share of the sessions a person was expected at and came to; ``None`` when there were none."""
    expected = present + no_shows
    return round(present / expected, 4) if expected else None


@dataclass(frozen=True, slots=True)
class MarkedRegistration:
    registration_id: int
    participant_id: int
    name: str
    language: str
    session_id: int
    mark: Mark
    walk_in: bool  # registered at the door


SessionScope = Callable[[Any], Any]
"""Builds the WHERE condition on a session reference: the ``Session`` table itself, or a foreign key to it
such as ``Registration.session`` (both have ``starts_at``, ``activity``, …). Used instead of a list of ids,
so a report over a long period never sends thousands of parameters."""


async def marked_registrations(
    sessions: dict[int, dict[str, Any]], scope: SessionScope, *, now: datetime
) -> list[MarkedRegistration]:
    """Every registration at the sessions ``scope`` selects, with its mark.

    ``sessions`` holds those sessions by id (rows with ``status`` and ``ends_at``); registrations
    at sessions missing from it are left out.
    """
    if not sessions:
        return []
    registrations = await Registration.select(
        Registration.id,
        Registration.session,
        Registration.status,
        Registration.source,
        Registration.participant,
        Registration.participant.name.as_alias("name"),
        Registration.participant.language.as_alias("language"),
    ).where(scope(Registration.session))
    present = {
        row["registration"] for row in await Attendance.select(Attendance.registration).where(scope(Attendance.session))
    }
    absent = {row["registration"] for row in await NoShow.select(NoShow.registration).where(scope(NoShow.session))}
    marked = []
    for row in registrations:
        session = sessions.get(row["session"])
        if session is None:
            continue
        marked.append(
            MarkedRegistration(
                registration_id=row["id"],
                participant_id=row["participant"],
                name=row["name"],
                language=row["language"],
                session_id=row["session"],
                mark=mark_of(
                    registration_status=row["status"],
                    session_status=session["status"],
                    ends_at=session["ends_at"],
                    now=now,
                    present=row["id"] in present,
                    no_show=row["id"] in absent,
                ),
                walk_in=row["source"] == "walk_in",
            )
        )
    return marked
