"""After the visit: the host's feedback, a participant's interest in an internship or a job,
and the coordinators' follow-up list of interested people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.database import engine, write_transaction
from scheduling.errors import InvalidActivity
from scheduling.kinds import ActivityKind, ActivityStatus, RegistrationStatus
from scheduling.services._common import as_utc, utcnow
from scheduling.services.registrations import registration_by_token
from scheduling.services.visits._access import VisitActor
from scheduling.services.visits._rows import ensure_details, load_slot_row, slot_sessions
from scheduling.services.visits.errors import NotAVisit, SlotChangeRefused
from scheduling.services.visits.slots import clean_text, get_slot
from scheduling.tables import Registration, VisitInterest, VisitSlot
from scheduling.visit_schemas import FollowUpOut, SlotOut


async def leave_feedback(slot_id: int, text: str, actor: VisitActor, *, now: datetime | None = None) -> SlotOut:
    """The host's (or a coordinator's) short feedback once the visit has begun; a new one replaces it."""
    now = now or utcnow()
    text = clean_text(text)
    if not text:
        raise InvalidActivity("text", "write a few words about how the visit went")
    async with write_transaction():
        row = await load_slot_row(slot_id, actor, change=True)
        session = (await slot_sessions([slot_id])).get(slot_id)
        if row["status"] != ActivityStatus.published.value or session is None:
            raise SlotChangeRefused("Feedback is for approved visits that took place.")
        if as_utc(session["starts_at"]) > now:
            raise SlotChangeRefused("You can leave feedback once the visit has begun.")
        await ensure_details(slot_id, now)
        await VisitSlot.update(
            {
                VisitSlot.feedback: text,
                VisitSlot.feedback_by: actor.user_id,
                VisitSlot.feedback_at: now,
                VisitSlot.updated_at: now,
            }
        ).where(VisitSlot.activity == slot_id)
    return await get_slot(slot_id, actor)


async def _visit_registration(token: str) -> dict[str, Any]:
    row = await registration_by_token(token)
    activity: Any = Registration.session.activity  # a join two tables away
    kind = await Registration.select(activity.kind.as_alias("kind")).where(Registration.id == row["id"]).first()
    if kind is None or kind["kind"] != ActivityKind.company_visit.value:
        raise NotAVisit("Only a registration for a company visit can say 'I would like an internship or a job here'.")
    return row


async def interest_of(token: str) -> bool:
    row = await _visit_registration(token)
    found = await VisitInterest.select(VisitInterest.interested).where(VisitInterest.registration == row["id"]).first()
    return bool(found and found["interested"])


async def mark_interest(token: str, interested: bool, *, now: datetime | None = None) -> bool:
    """A participant says (or takes back) "I would like an internship or a job here"."""
    now = now or utcnow()
    row = await _visit_registration(token)
    if row["status"] == RegistrationStatus.cancelled.value:
        raise SlotChangeRefused("This registration is cancelled.")
    async with write_transaction():
        if isinstance(engine(), PostgresEngine):  # two clicks at once must not both insert
            await Registration.select(Registration.id).where(Registration.id == row["id"]).lock_rows("UPDATE")
        updated = (
            await VisitInterest.update({VisitInterest.interested: interested, VisitInterest.updated_at: now})
            .where(VisitInterest.registration == row["id"])
            .returning(VisitInterest.id)
        )
        if not updated:
            await VisitInterest.insert(VisitInterest(registration=row["id"], interested=interested, updated_at=now))
    return interested


async def follow_ups(*, start: datetime | None = None, end: datetime | None = None) -> list[FollowUpOut]:
    """Everyone who would like an internship or a job where they visited, latest visit first."""
    marked = {
        row["registration"]: row["updated_at"]
        for row in await VisitInterest.select(VisitInterest.registration, VisitInterest.updated_at).where(
            VisitInterest.interested.eq(True)
        )
    }
    if not marked:
        return []
    # Joined from the registration: PostgreSQL cuts the join aliases of a longer path at 63 characters.
    activity: Any = Registration.session.activity
    query = Registration.select(
        Registration.id,
        Registration.participant.id.as_alias("participant_id"),
        Registration.participant.name.as_alias("name"),
        Registration.participant.phone.as_alias("phone"),
        Registration.participant.email.as_alias("email"),
        Registration.participant.language.as_alias("language"),
        Registration.session.id.as_alias("session_id"),
        Registration.session.starts_at.as_alias("starts_at"),
        activity.id.as_alias("slot_id"),
        activity.employer.id.as_alias("employer_id"),
        activity.employer.name.as_alias("employer_name"),
    ).where(Registration.id.is_in(list(marked)))
    if start is not None:
        query = query.where(Registration.session.starts_at >= start)
    if end is not None:
        query = query.where(Registration.session.starts_at < end)
    result = [
        FollowUpOut(
            registration_id=row["id"],
            participant_id=row["participant_id"],
            name=row["name"],
            phone=row["phone"],
            email=row["email"],
            language=row["language"],
            employer_id=row["employer_id"],
            employer_name=row["employer_name"] or "",
            slot_id=row["slot_id"],
            session_id=row["session_id"],
            visit_starts_at=as_utc(row["starts_at"]),
            marked_at=as_utc(marked[row["id"]]),
        )
        for row in await query
    ]
    return sorted(result, key=lambda item: (item.visit_starts_at, item.registration_id), reverse=True)
