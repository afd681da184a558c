"""Company-visit slots: a host proposes, a coordinator approves or declines, the host edits or withdraws.

A slot *is* a ``company_visit`` activity with a single session, so sign-up, capacity,
waitlist, reminders and check-in work as for any session. A :class:`VisitSlot` row
keeps what only visits have: the host's notes, the meeting point, the decision and the
feedback. A proposed slot is invisible to participants until a coordinator approves it.

Edits and withdrawals lock the slot's session exactly as a sign-up does, so "nobody has
signed up yet" stays true until the change is committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec import UNSET

from app.database import write_transaction
from scheduling.errors import InvalidActivity
from scheduling.events import SlotEvent, SlotEventKind, publish
from scheduling.kinds import ActivityKind, ActivityStatus
from scheduling.recurrence import parse_local_start, parse_timezone, to_utc
from scheduling.schemas import ActivityCreate, ActivityUpdate, EmployerOut, VenueIn
from scheduling.services._common import as_utc, utcnow
from scheduling.services.activities import create_activity, set_activity_status, update_activity
from scheduling.services.employers import get_employer
from scheduling.services.visits._access import VisitActor, require_coordinator, require_employer
from scheduling.services.visits._rows import (
    ensure_details,
    load_slot_row,
    locked_session,
    slot_details,
    slot_rows_of_employer,
    slots_out,
)
from scheduling.services.visits.errors import SlotChangeRefused
from scheduling.tables import Registration, VisitSlot
from scheduling.visit_schemas import SlotCreate, SlotOut, SlotUpdate

CHANGEABLE = (ActivityStatus.proposed.value, ActivityStatus.published.value)


# --- validating a proposal ------------------------------------------------------------------


def _title(value: str | dict[str, str] | None, employer_name: str, language: str) -> dict[str, str]:
    if value is None:
        return {"de": f"Betriebsbesuch: {employer_name}", "en": f"Company visit: {employer_name}"}
    if isinstance(value, str):
        if not value.strip():
            raise InvalidActivity("title", "give a title, or leave it out for 'Company visit: <employer>'")
        return {language: value.strip()}
    return dict(value)


def _start(starts_at: str, zone_name: str, now: datetime) -> str:
    """The local start (``2026-10-07T10:00``) of a visit that must lie in the future."""
    zone = parse_timezone(zone_name)
    try:
        local = parse_local_start(starts_at, zone)
    except InvalidActivity as error:
        raise InvalidActivity("starts_at", str(error)) from None
    if to_utc(local, zone) <= now:
        raise InvalidActivity("starts_at", "the visit must lie in the future")
    return local.strftime("%Y-%m-%dT%H:%M")


def clean_text(text: str) -> str:
    """Form posts send line breaks as CRLF; store them as LF, without surrounding blanks."""
    return text.replace("\r\n", "\n").strip()


def _description(notes: str, language: str) -> dict[str, str]:
    return {language: clean_text(notes)} if clean_text(notes) else {}


def _venue(meeting_point: str, employer: EmployerOut) -> VenueIn:
    """Participants see the meeting point at the employer's address."""
    return VenueIn(
        name=(meeting_point.strip() or employer.name)[:200],
        address=employer.address,
        accessibility=employer.accessibility,
    )


# --- proposing and reading --------------------------------------------------------------------


async def propose_slot(
    employer_id: int,
    data: SlotCreate,
    actor: VisitActor,
    *,
    default_timezone: str,
    default_language: str,
    now: datetime | None = None,
) -> SlotOut:
    """A host (or coordinator) proposes a visit date; it waits for a coordinator's approval."""
    now = now or utcnow()
    require_employer(actor, employer_id, change=True)
    employer = await get_employer(employer_id)
    zone_name = data.timezone or default_timezone
    languages = list(data.languages) or list(employer.site_languages) or [default_language]
    activity = ActivityCreate(
        kind=ActivityKind.company_visit,
        title=_title(data.title, employer.name, default_language),
        start=_start(data.starts_at, zone_name, now),
        timezone=zone_name,
        duration_minutes=data.duration_minutes,
        capacity=data.capacity,
        languages=languages,
        description=_description(data.notes, default_language),
        venue=_venue(data.meeting_point, employer),
        employer_id=employer_id,
    )
    async with write_transaction():
        created = await create_activity(
            activity, default_timezone=default_timezone, status=ActivityStatus.proposed, now=now
        )
        await VisitSlot.insert(
            VisitSlot(
                activity=created.id,
                notes=clean_text(data.notes),
                meeting_point=data.meeting_point.strip(),
                proposed_by=actor.user_id,
                created_at=now,
                updated_at=now,
            )
        )
    return await get_slot(created.id, actor)


async def get_slot(slot_id: int, actor: VisitActor) -> SlotOut:
    row = await load_slot_row(slot_id, actor, change=False)
    return (await slots_out([row]))[0]


async def list_slots(employer_id: int, actor: VisitActor) -> list[SlotOut]:
    """Every slot of an employer in time order, whatever its status, with its headcount."""
    require_employer(actor, employer_id, change=False)
    await get_employer(employer_id)
    return await slots_out(await slot_rows_of_employer(employer_id))


# --- changing before anyone has signed up -------------------------------------------------------


def may_still_change(slot: SlotOut, now: datetime) -> bool:
    """Whether a slot can still be edited or withdrawn (the pages show the forms only then)."""
    return (
        slot.status.value in CHANGEABLE
        and not (slot.confirmed or slot.waitlisted)
        and (slot.starts_at is None or slot.starts_at > now)
    )


def _check_changeable(row: dict[str, Any], session: dict[str, Any] | None, now: datetime) -> None:
    if row["status"] not in CHANGEABLE:
        raise SlotChangeRefused(f"This slot is {row['status']}; it can no longer be changed.")
    if session is not None and as_utc(session["starts_at"]) <= now:
        raise SlotChangeRefused("This visit has already begun; it can no longer be changed.")
    if session is not None and (session["confirmed_count"] or session["waitlisted_count"]):
        raise SlotChangeRefused(
            "People have signed up for this visit, so it can no longer be changed or withdrawn; "
            "please ask the coordinators."
        )


async def update_slot(
    slot_id: int, data: SlotUpdate, actor: VisitActor, *, default_language: str, now: datetime | None = None
) -> SlotOut:
    """Change a slot nobody has signed up for; values equal to the current ones are no change.

    A host's change to an approved slot sends it back for approval (coordinators keep the quality).
    """
    now = now or utcnow()
    async with write_transaction():
        row = await load_slot_row(slot_id, actor, change=True)
        session = await locked_session(slot_id)
        _check_changeable(row, session, now)
        current = (await slot_details([slot_id])).get(slot_id) or {}
        changes = _activity_changes(row, data, default_language, now)
        details: dict[Any, Any] = {}
        if data.notes is not UNSET and clean_text(data.notes) != (current.get("notes") or ""):
            changes["description"] = _description(data.notes, default_language)
            details[VisitSlot.notes] = clean_text(data.notes)
        if data.meeting_point is not UNSET and data.meeting_point.strip() != (current.get("meeting_point") or ""):
            changes["venue"] = _venue(data.meeting_point, await get_employer(row["employer"]))
            details[VisitSlot.meeting_point] = data.meeting_point.strip()
        if (
            "start" in changes
            and session is not None
            and await Registration.exists().where(Registration.session == session["id"])
        ):
            raise SlotChangeRefused(
                "People signed up for this date before, so its time cannot change; "
                "withdraw the slot and propose a new date."
            )
        if changes:
            await update_activity(slot_id, ActivityUpdate(**changes), now=now)
            await ensure_details(slot_id, now)
            await VisitSlot.update({**details, VisitSlot.updated_at: now}).where(VisitSlot.activity == slot_id)
            if row["status"] == ActivityStatus.published.value and not actor.coordinator:
                await set_activity_status(slot_id, ActivityStatus.proposed)
    return await get_slot(slot_id, actor)


def _activity_changes(row: dict[str, Any], data: SlotUpdate, default_language: str, now: datetime) -> dict[str, Any]:
    """The fields of :class:`ActivityUpdate` whose values really change."""
    changes: dict[str, Any] = {}
    if data.starts_at is not UNSET or data.timezone is not UNSET or data.duration_minutes is not UNSET:
        zone_name = row["timezone"] if data.timezone is UNSET else data.timezone
        start = _start(row["start_local"] if data.starts_at is UNSET else data.starts_at, zone_name, now)
        duration = row["duration_minutes"] if data.duration_minutes is UNSET else data.duration_minutes
        if (zone_name, start, duration) != (row["timezone"], row["start_local"], row["duration_minutes"]):
            changes.update(timezone=zone_name, start=start, duration_minutes=duration)
    if data.title is not UNSET:
        title = _title(data.title, row["employer_name"] or "", default_language)
        if title != row["title"]:
            changes["title"] = title
    if data.capacity is not UNSET and data.capacity != row["capacity"]:
        changes["capacity"] = data.capacity
    if data.languages is not UNSET and set(data.languages) != set(row["languages"] or []):
        changes["languages"] = list(data.languages)
    return changes


async def withdraw_slot(slot_id: int, actor: VisitActor, *, now: datetime | None = None) -> SlotOut:
    """The host takes a slot back before anyone has signed up; it disappears for participants."""
    now = now or utcnow()
    async with write_transaction():
        row = await load_slot_row(slot_id, actor, change=True)
        if row["status"] != ActivityStatus.withdrawn.value:
            _check_changeable(row, await locked_session(slot_id), now)
            await set_activity_status(slot_id, ActivityStatus.withdrawn)
    return await get_slot(slot_id, actor)


# --- the coordinator's decision ---------------------------------------------------------------


async def _decide(slot_id: int, actor: VisitActor, status: ActivityStatus, reason: str, now: datetime) -> None:
    row = await load_slot_row(slot_id, actor, change=True)
    if row["status"] == status.value:
        return
    if row["status"] != ActivityStatus.proposed.value:
        raise SlotChangeRefused(f"This slot is {row['status']}; only a proposed slot can be approved or declined.")
    session = await locked_session(slot_id)
    if status is ActivityStatus.published and (session is None or as_utc(session["starts_at"]) <= now):
        raise SlotChangeRefused("The date of this visit has passed; it can no longer be approved.")
    await set_activity_status(slot_id, status)
    await ensure_details(slot_id, now)
    await VisitSlot.update(
        {
            VisitSlot.decided_by: actor.user_id,
            VisitSlot.decided_at: now,
            VisitSlot.decline_reason: reason,
            VisitSlot.updated_at: now,
        }
    ).where(VisitSlot.activity == slot_id)
    kind = SlotEventKind.approved if status is ActivityStatus.published else SlotEventKind.declined
    await publish(SlotEvent(kind, slot_id, row["employer"], session["id"] if session else None, reason))


async def approve_slot(slot_id: int, actor: VisitActor, *, now: datetime | None = None) -> SlotOut:
    """Publish a proposed slot: participants can see it and sign up."""
    require_coordinator(actor)
    async with write_transaction():
        await _decide(slot_id, actor, ActivityStatus.published, "", now or utcnow())
    return await get_slot(slot_id, actor)


async def decline_slot(slot_id: int, reason: str, actor: VisitActor, *, now: datetime | None = None) -> SlotOut:
    """Decline a proposed slot with a reason the host sees."""
    require_coordinator(actor)
    if not reason.strip():
        raise InvalidActivity("reason", "tell the host why the slot is declined")
    async with write_transaction():
        await _decide(slot_id, actor, ActivityStatus.declined, reason.strip()[:500], now or utcnow())
    return await get_slot(slot_id, actor)
