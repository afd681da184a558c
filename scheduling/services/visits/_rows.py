"""Reading slots: an activity row, its one session and its visit details, as a :class:`SlotOut`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scheduling.kinds import ActivityKind, ActivityStatus, SessionStatus
from scheduling.locking import lock_session
from scheduling.services._common import as_utc
from scheduling.services.sessions import effective_capacity
from scheduling.services.visits._access import VisitActor, may_change, may_read
from scheduling.services.visits.errors import NotAllowed, SlotNotFound
from scheduling.tables import Activity, Session, VisitSlot
from scheduling.visit_schemas import SlotOut

SLOT_COLUMNS = (
    Activity.id,
    Activity.status,
    Activity.title,
    Activity.timezone,
    Activity.start_local,
    Activity.duration_minutes,
    Activity.capacity,
    Activity.languages,
    Activity.employer,
    Activity.employer.name.as_alias("employer_name"),
)


async def load_slot_row(slot_id: int, actor: VisitActor, *, change: bool) -> dict[str, Any]:
    """The slot's activity row. Another employer's slot is "not found" to a host, so ids reveal
    nothing; staff who may read but not change get 403."""
    row = (
        await Activity.select(*SLOT_COLUMNS)
        .where(Activity.id == slot_id, Activity.kind == ActivityKind.company_visit.value)
        .output(load_json=True)
        .first()
    )
    if row is None or row["employer"] is None or not may_read(actor, row["employer"]):
        raise SlotNotFound(f"There is no visit slot with id {slot_id}.")
    if change and not may_change(actor, row["employer"]):
        raise NotAllowed("Only the employer's hosts and coordinators may change this slot.")
    return row


async def slot_rows_of_employer(employer_id: int) -> list[dict[str, Any]]:
    return await (
        Activity.select(*SLOT_COLUMNS)
        .where(Activity.employer == employer_id, Activity.kind == ActivityKind.company_visit.value)
        .output(load_json=True)
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
)


async def slot_sessions(slot_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each slot's session (a visit has one date; a scheduled row wins over a cancelled one)."""
    if not slot_ids:
        return {}
    rows = await Session.select(*_SESSION_COLUMNS).where(Session.activity.is_in(slot_ids)).order_by(Session.starts_at)
    result: dict[int, dict[str, Any]] = {}
    for row in rows:
        current = result.get(row["activity"])
        if current is None or (
            current["status"] != SessionStatus.scheduled.value and row["status"] == SessionStatus.scheduled.value
        ):
            result[row["activity"]] = row
    return result


async def locked_session(slot_id: int) -> dict[str, Any] | None:
    """The slot's session, locked as a sign-up locks it, so nobody signs up while the slot changes."""
    session = (await slot_sessions([slot_id])).get(slot_id)
    if session is None:
        return None
    return await lock_session(session["id"])


async def slot_details(slot_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not slot_ids:
        return {}
    rows = await VisitSlot.select().where(VisitSlot.activity.is_in(slot_ids))
    return {row["activity"]: row for row in rows}


async def ensure_details(slot_id: int, now: datetime) -> None:
    """A visit created through the activities API has no details row yet; give it one."""
    if not await VisitSlot.exists().where(VisitSlot.activity == slot_id):
        await VisitSlot.insert(VisitSlot(activity=slot_id, created_at=now, updated_at=now))


def _maybe_utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def slot_out(row: dict[str, Any], session: dict[str, Any] | None, details: dict[str, Any] | None) -> SlotOut:
    capacity = effective_capacity(session["capacity"] if session else None, row["capacity"])
    confirmed = session["confirmed_count"] if session else 0
    details = details or {}
    return SlotOut(
        id=row["id"],
        employer_id=row["employer"],
        employer_name=row["employer_name"] or "",
        status=ActivityStatus(row["status"]),
        title=row["title"] or {},
        notes=details.get("notes") or "",
        meeting_point=details.get("meeting_point") or "",
        timezone=row["timezone"],
        start=row["start_local"],
        starts_at=_maybe_utc(session["starts_at"]) if session else None,
        ends_at=_maybe_utc(session["ends_at"]) if session else None,
        duration_minutes=row["duration_minutes"],
        capacity=capacity,
        languages=row["languages"] or [],
        session_id=session["id"] if session else None,
        confirmed=confirmed,
        waitlisted=session["waitlisted_count"] if session else 0,
        seats_left=None if capacity is None else max(0, capacity - confirmed),
        decline_reason=details.get("decline_reason") or "",
        decided_at=_maybe_utc(details.get("decided_at")),
        feedback=details.get("feedback") or "",
        feedback_at=_maybe_utc(details.get("feedback_at")),
    )


async def slots_out(rows: list[dict[str, Any]]) -> list[SlotOut]:
    """Slots in time order, with their sessions and details (three queries however many)."""
    ids = [row["id"] for row in rows]
    sessions = await slot_sessions(ids)
    details = await slot_details(ids)
    slots = [slot_out(row, sessions.get(row["id"]), details.get(row["id"])) for row in rows]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(slots, key=lambda slot: (slot.starts_at or far, slot.id))
