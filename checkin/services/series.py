"""Attendance across a series: people by sessions of one activity, with a rate per person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from checkin.errors import ActivityNotFound
from checkin.services._common import MAX_ID, Operator, as_utc, not_your_session, utcnow
from checkin.services.marks import Mark, attendance_rate, marked_registrations, stronger
from checkin.services.period import Period
from scheduling.access import may_run_activity
from scheduling.languages import pick_text
from scheduling.tables import Activity, Session

MAX_SESSIONS = 52  # columns of the matrix: a year of a weekly group still fits a printed page in landscape
LOOK_AHEAD = timedelta(days=7)  # by default the matrix shows next week's session too (all "upcoming")


@dataclass(frozen=True, slots=True)
class SeriesSession:
    id: int
    starts_at: datetime
    local_date: str  # YYYY-MM-DD in the activity's time zone
    local_time: str  # HH:MM
    status: str  # the session's status (scheduled, cancelled)
    present: int  # people checked in at it


@dataclass(frozen=True, slots=True)
class SeriesPerson:
    participant_id: int
    name: str
    language: str
    marks: list[Mark]  # one per session, in the order of ``SeriesAttendance.sessions``
    present: int
    no_shows: int
    excused: int
    rate: float | None  # present / (present + no-shows)


@dataclass(frozen=True, slots=True)
class SeriesAttendance:
    activity_id: int
    title: str
    kind: str
    timezone: str
    start: datetime | None  # the period asked for; ``None``: from the first session
    end: datetime
    sessions: list[SeriesSession]
    omitted_sessions: int  # earlier sessions in the period left out to keep MAX_SESSIONS columns
    people: list[SeriesPerson]


async def may_see_activity(operator: Operator, activity_id: int) -> bool:
    """Coordinators and admins see every activity; a facilitator those they are assigned to and those
    nobody is assigned to (the rule of ``scheduling.access``). ``False`` for no such activity."""
    return bool(await may_run_activity(operator, activity_id))


async def series_attendance(
    activity_id: int,
    *,
    by: Operator,
    start: datetime | None = None,
    end: datetime | None = None,
    language: str,
    now: datetime | None = None,
) -> SeriesAttendance:
    """The attendance matrix of an activity's sessions starting in ``[start, end)``.

    ``end`` defaults to a week from now; without ``start`` the matrix begins at the first
    session. At most the last :data:`MAX_SESSIONS` sessions of the period are shown.
    """
    now = now or utcnow()
    activity = await _activity(activity_id)
    if not await may_see_activity(by, activity_id):
        raise not_your_session()
    until = end or now + LOOK_AHEAD
    if start is not None:
        Period.checked(start, until)

    def scope(session: Any) -> Any:
        condition = (session.activity == activity_id) & (session.starts_at < until)
        return condition & (session.starts_at >= start) if start is not None else condition

    total = await Session.count().where(scope(Session))
    rows = (
        await Session.select(Session.id, Session.starts_at, Session.ends_at, Session.status)
        .where(scope(Session))
        .order_by(Session.starts_at, ascending=False)
        .order_by(Session.id, ascending=False)
        .limit(MAX_SESSIONS)
    )
    rows.reverse()
    sessions = {row["id"]: row for row in rows}
    marked = await marked_registrations(sessions, scope, now=now)
    columns = {session_id: index for index, session_id in enumerate(sessions)}
    people: dict[int, dict[str, Any]] = {}
    for item in marked:
        person = people.setdefault(
            item.participant_id,
            {"name": item.name, "language": item.language, "marks": [Mark.not_registered] * len(columns)},
        )
        column = columns[item.session_id]
        person["marks"][column] = stronger(person["marks"][column], item.mark)
    zone = ZoneInfo(activity["timezone"])
    present_at = {
        session_id: sum(1 for p in people.values() if p["marks"][column] is Mark.present)
        for session_id, column in columns.items()
    }
    return SeriesAttendance(
        activity_id=activity_id,
        title=pick_text(activity["title"] or {}, language, list(activity["languages"] or [])),
        kind=activity["kind"],
        timezone=activity["timezone"],
        start=start,
        end=until,
        sessions=[
            SeriesSession(
                id=row["id"],
                starts_at=as_utc(row["starts_at"]),
                local_date=as_utc(row["starts_at"]).astimezone(zone).date().isoformat(),
                local_time=as_utc(row["starts_at"]).astimezone(zone).strftime("%H:%M"),
                status=row["status"],
                present=present_at[row["id"]],
            )
            for row in rows
        ],
        omitted_sessions=max(0, total - len(rows)),
        people=sorted(
            (_person(participant_id, person) for participant_id, person in people.items()),
            key=lambda p: (p.name.casefold(), p.participant_id),
        ),
    )


def _person(participant_id: int, person: dict[str, Any]) -> SeriesPerson:
    marks: list[Mark] = person["marks"]
    present, no_shows = marks.count(Mark.present), marks.count(Mark.no_show)
    return SeriesPerson(
        participant_id=participant_id,
        name=person["name"],
        language=person["language"],
        marks=marks,
        present=present,
        no_shows=no_shows,
        excused=marks.count(Mark.excused),
        rate=attendance_rate(present, no_shows),
    )


async def _activity(activity_id: int) -> dict[str, Any]:
    row = None
    if 1 <= activity_id <= MAX_ID:
        row = (
            await Activity.select(Activity.id, Activity.title, Activity.kind, Activity.timezone, Activity.languages)
            .where(Activity.id == activity_id)
            .output(load_json=True)
            .first()
        )
    if row is None:
        raise ActivityNotFound(f"There is no activity with id {activity_id}.")
    return row
