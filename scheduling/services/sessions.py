"""Sessions: the dated occurrences of an activity, stored as rows up to a horizon.

The horizon moves forward with a daily job, so open-ended series (a café every
Tuesday) always have a year of sessions ahead to sign up for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from msgspec import UNSET

from app.database import fetch, write_transaction
from scheduling.errors import InvalidActivity, SessionChangeRefused, SessionNotFound
from scheduling.events import SessionEvent, SessionEventKind, publish
from scheduling.kinds import ActivityKind, ActivityStatus, SessionStatus
from scheduling.locking import lock_session
from scheduling.recurrence import Schedule, to_local
from scheduling.schemas import SessionListItem, SessionOut, SessionPatch
from scheduling.services._common import as_utc, schedule_of, utcnow
from scheduling.services.registrations import promote_from_waitlist, seat_enrolled_people
from scheduling.tables import Activity, ClosureDay, Session

HORIZON = timedelta(days=365)
INSERT_BATCH = 250
CLOSURE_REASON = "closure"


def horizon_from(now: datetime, schedule: Schedule) -> datetime:
    """Sessions exist as rows until a year after today (or after the series starts)."""
    from scheduling.recurrence import to_utc

    return max(now, to_utc(schedule.start_local, schedule.zone)) + HORIZON


async def closure_days() -> set[date]:
    return {row["day"] for row in await ClosureDay.select(ClosureDay.day)}


async def sync_sessions(
    activity: dict[str, Any], schedule: Schedule, *, now: datetime, from_instant: datetime | None = None
) -> None:
    """Make the activity's session rows match its schedule from ``from_instant`` on.

    Occurrences without a row are created (cancelled if they fall on a closure day);
    rows the schedule no longer produces are deleted, or cancelled if people are
    registered for them, so nobody silently loses a place. Must run in a transaction.
    """
    activity_id = activity["id"]
    horizon = horizon_from(now, schedule)
    wanted = [
        (starts, ends)
        for starts, ends in schedule.occurrences(until=horizon if schedule.is_open_ended else None)
        if starts <= horizon and (from_instant is None or starts >= from_instant)
    ]
    wanted_by_occurrence = {starts: ends for starts, ends in wanted}
    query = Session.select(
        Session.id,
        Session.occurrence,
        Session.starts_at,
        Session.ends_at,
        Session.status,
        Session.confirmed_count,
        Session.waitlisted_count,
    ).where(Session.activity == activity_id)
    if from_instant is not None:
        query = query.where(Session.occurrence >= from_instant)
    existing = {as_utc(row["occurrence"]): row for row in await query}

    for occurrence, row in existing.items():
        if occurrence in wanted_by_occurrence:
            ends = wanted_by_occurrence[occurrence]
            if as_utc(row["starts_at"]) == occurrence and as_utc(row["ends_at"]) != ends:
                await Session.update({Session.ends_at: ends, Session.updated_at: now}).where(Session.id == row["id"])
            continue
        if row["confirmed_count"] or row["waitlisted_count"]:
            if row["status"] != SessionStatus.cancelled.value:
                await _cancel(row["id"], activity_id, as_utc(row["starts_at"]), "series changed", now)
        else:
            await Session.delete().where(Session.id == row["id"])

    closed = await closure_days()
    new_rows = [
        Session(
            activity=activity_id,
            occurrence=starts,
            starts_at=starts,
            ends_at=ends,
            status=(
                SessionStatus.cancelled if to_local(starts, schedule.zone).date() in closed else SessionStatus.scheduled
            ).value,
            cancel_reason=CLOSURE_REASON if to_local(starts, schedule.zone).date() in closed else "",
            updated_at=now,
        )
        for starts, ends in wanted
        if starts not in existing
    ]
    for index in range(0, len(new_rows), INSERT_BATCH):
        await Session.insert(*new_rows[index : index + INSERT_BATCH])
    series_end = None
    if not schedule.is_open_ended:
        every = schedule.occurrences()
        series_end = every[-1][0] if every else None
    await Activity.update({Activity.sessions_until: horizon, Activity.series_end: series_end}).where(
        Activity.id == activity_id
    )


async def extend_open_series(now: datetime | None = None) -> int:
    """Daily: create the sessions that have come within the horizon. Returns how many activities grew."""
    now = now or utcnow()
    grown = 0
    due = (
        await Activity.select()
        .where(
            Activity.status.is_in([ActivityStatus.published.value, ActivityStatus.proposed.value]),
            Activity.rrule.is_not_null(),
        )
        .output(load_json=True)
    )
    for activity in due:
        schedule = schedule_of(activity)
        until = activity["sessions_until"]
        if until is not None and as_utc(until) >= horizon_from(now, schedule) - timedelta(days=1):
            continue
        if (
            not schedule.is_open_ended
            and until is not None
            and activity["series_end"] is not None
            and as_utc(activity["series_end"]) <= as_utc(until)
        ):
            continue
        async with write_transaction():
            await sync_sessions(activity, schedule, now=now, from_instant=as_utc(until) if until else None)
        await seat_enrolled_people(activity["id"], now)
        grown += 1
    return grown


# --- reading --------------------------------------------------------------------------


def effective_capacity(session_capacity: int | None, activity_capacity: int | None) -> int | None:
    return session_capacity if session_capacity is not None else activity_capacity


def _seats_left(capacity: int | None, confirmed: int) -> int | None:
    return None if capacity is None else max(0, capacity - confirmed)


def _session_out(row: dict[str, Any]) -> SessionOut:
    capacity = effective_capacity(row["capacity"], row["activity_capacity"])
    return SessionOut(
        id=row["id"],
        activity_id=row["activity"],
        starts_at=as_utc(row["starts_at"]),
        ends_at=as_utc(row["ends_at"]),
        status=SessionStatus(row["status"]),
        capacity=capacity,
        confirmed=row["confirmed_count"],
        waitlisted=row["waitlisted_count"],
        seats_left=_seats_left(capacity, row["confirmed_count"]),
        cancel_reason=row["cancel_reason"] or "",
    )


_SESSION_COLUMNS = (
    Session.id,
    Session.activity,
    Session.starts_at,
    Session.ends_at,
    Session.status,
    Session.capacity,
    Session.confirmed_count,
    Session.waitlisted_count,
    Session.cancel_reason,
    Session.activity.capacity.as_alias("activity_capacity"),
)


async def list_activity_sessions(
    activity_id: int, *, start: datetime | None = None, end: datetime | None = None, limit: int = 500, offset: int = 0
) -> list[SessionOut]:
    query = Session.select(*_SESSION_COLUMNS).where(Session.activity == activity_id)
    if start is not None:
        query = query.where(Session.ends_at >= start)
    if end is not None:
        query = query.where(Session.starts_at < end)
    rows = await query.order_by(Session.starts_at).order_by(Session.id).limit(limit).offset(offset)
    return [_session_out(row) for row in rows]


async def get_session(session_id: int, *, include_unpublished: bool = False) -> SessionOut:
    query = Session.select(*_SESSION_COLUMNS, Session.activity.status.as_alias("activity_status")).where(
        Session.id == session_id
    )
    row = await query.first()
    if row is None or (not include_unpublished and row["activity_status"] != ActivityStatus.published.value):
        raise SessionNotFound(f"There is no session with id {session_id}.")
    return _session_out(row)


@dataclass(frozen=True, slots=True)
class SessionFilter:
    start: datetime | None = None
    end: datetime | None = None
    kind: str | None = None
    language: str | None = None
    include_cancelled: bool = True
    limit: int = 100
    offset: int = 0


# The upcoming-sessions list is the busiest read of the public pages: one hand-written
# statement instead of Piccolo building its joined SELECT on every request (a measurable
# share of the page's time). The same SQL runs on PostgreSQL and SQLite.
_LIST_SESSIONS = (
    "SELECT s.id, s.activity, s.starts_at, s.ends_at, s.status, s.capacity, s.confirmed_count,"
    " s.waitlisted_count, s.cancel_reason, a.capacity AS activity_capacity, a.kind, a.title,"
    " a.languages, a.timezone"
    ' FROM "session" s JOIN activity a ON a.id = s.activity'
    " WHERE a.status = {}"
)


_decode_json = msgspec.json.Decoder()
_KINDS = {kind.value: kind for kind in ActivityKind}
_STATUSES = {status.value: status for status in SessionStatus}


def _json(value: Any) -> Any:
    """A JSON column: text (asyncpg without a codec, SQLite) or already decoded."""
    return _decode_json.decode(value) if isinstance(value, str | bytes) else value


async def list_sessions(filters: SessionFilter) -> list[SessionListItem]:
    """Published sessions across activities in time order (the upcoming-sessions list)."""
    sql = [_LIST_SESSIONS]
    args: list[Any] = [ActivityStatus.published.value]
    if filters.start is not None:
        sql.append(" AND s.ends_at >= {}")
        args.append(filters.start)
    if filters.end is not None:
        sql.append(" AND s.starts_at < {}")
        args.append(filters.end)
    if filters.kind:
        sql.append(" AND a.kind = {}")
        args.append(filters.kind)
    if not filters.include_cancelled:
        sql.append(" AND s.status = {}")
        args.append(SessionStatus.scheduled.value)
    if filters.language:
        sql.append(" AND s.activity IN (SELECT l.activity FROM activity_language l WHERE l.language = {})")
        args.append(filters.language)
    sql.append(" ORDER BY s.starts_at, s.id LIMIT {} OFFSET {}")
    args += [filters.limit, filters.offset]
    items = []
    for row in await fetch("".join(sql), *args):
        capacity = effective_capacity(row["capacity"], row["activity_capacity"])
        confirmed = row["confirmed_count"]
        items.append(
            SessionListItem(
                id=row["id"],
                activity_id=row["activity"],
                kind=_KINDS[row["kind"]],
                title=_json(row["title"]) or {},
                languages=_json(row["languages"]) or [],
                timezone=row["timezone"],
                starts_at=as_utc(row["starts_at"]),
                ends_at=as_utc(row["ends_at"]),
                status=_STATUSES[row["status"]],
                capacity=capacity,
                confirmed=confirmed,
                waitlisted=row["waitlisted_count"],
                seats_left=_seats_left(capacity, confirmed),
            )
        )
    return items


# --- changing one session --------------------------------------------------------------


async def _cancel(session_id: int, activity_id: int, starts_at: datetime, reason: str, now: datetime) -> None:
    await Session.update(
        {Session.status: SessionStatus.cancelled.value, Session.cancel_reason: reason, Session.updated_at: now}
    ).where(Session.id == session_id)
    await publish(SessionEvent(SessionEventKind.cancelled, session_id, activity_id, starts_at, reason=reason))


async def change_session(session_id: int, patch: SessionPatch, *, now: datetime | None = None) -> SessionOut:
    """Cancel, restore, move or resize one session; registered people are told (via events)."""
    now = now or utcnow()
    async with write_transaction():
        row = await Session.select().where(Session.id == session_id).first()
        if row is None:
            raise SessionNotFound(f"There is no session with id {session_id}.")
        starts_at, ends_at = as_utc(row["starts_at"]), as_utc(row["ends_at"])
        changes: dict[Any, Any] = {}
        if patch.status is not UNSET and patch.status != row["status"]:
            if ends_at < now:
                raise SessionChangeRefused("This session is over; it can no longer be cancelled or restored.")
            if patch.status == SessionStatus.cancelled:
                await _cancel(session_id, row["activity"], starts_at, patch.reason or "cancelled", now)
            else:
                changes[Session.status] = SessionStatus.scheduled.value
                changes[Session.cancel_reason] = ""
                await publish(SessionEvent(SessionEventKind.restored, session_id, row["activity"], starts_at))
        if patch.starts_at is not UNSET or patch.duration_minutes is not UNSET:
            if ends_at < now:
                raise SessionChangeRefused("This session is over; it can no longer be moved.")
            new_start = starts_at
            if patch.starts_at is not UNSET:
                if patch.starts_at.tzinfo is None:
                    raise InvalidActivity("starts_at", "give the time with its offset, e.g. 2026-10-08T11:00:00+02:00")
                new_start = as_utc(patch.starts_at)
            duration = ends_at - starts_at
            if patch.duration_minutes is not UNSET:
                if not 0 < patch.duration_minutes <= 1440:
                    raise InvalidActivity("duration_minutes", "must be between 1 and 1440 minutes")
                duration = timedelta(minutes=patch.duration_minutes)
            if new_start < now:
                raise InvalidActivity("starts_at", "a session cannot be moved into the past")
            changes[Session.starts_at] = new_start
            changes[Session.ends_at] = new_start + duration
            if new_start != starts_at:
                await publish(
                    SessionEvent(
                        SessionEventKind.moved, session_id, row["activity"], new_start, previous_starts_at=starts_at
                    )
                )
        if patch.capacity is not UNSET:
            if patch.capacity is not None and patch.capacity < 1:
                raise InvalidActivity("capacity", "must be 1 or more, or null for unlimited")
            if patch.capacity is not None and patch.capacity < row["confirmed_count"]:
                raise InvalidActivity(
                    "capacity", f"{row['confirmed_count']} people are already confirmed; capacity cannot be lower"
                )
            changes[Session.capacity] = patch.capacity
        if changes:
            changes[Session.updated_at] = now
            await Session.update(changes).where(Session.id == session_id)
        if patch.capacity is not UNSET or patch.status == SessionStatus.scheduled:
            locked = await lock_session(session_id)
            if locked is not None and locked["status"] == SessionStatus.scheduled.value:
                await promote_from_waitlist(locked, now=now)
    return await get_session(session_id, include_unpublished=True)
