"""Privacy rules: a person's download, erasure on request or after the retention period, audit.

Erasure removes every personal field (name, phone, e-mail, the text of messages) and makes
old links useless, but keeps registrations and attendance as anonymous rows, so the
attendance report for any period keeps the same counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Max

from app.database import write_transaction
from app.funder.erasure import erase_profile, export_profile
from app.privacy.tables import AuditEntry, Erasure
from checkin.tables import Attendance
from notifications.tables import OutboxMessage
from scheduling.errors import RegistrationNotFound
from scheduling.services._common import as_utc, utcnow
from scheduling.services.registrations import ACTIVE, cancel_by_id, new_token, registration_by_token
from scheduling.tables import Participant, Registration, RegistrationChange

ERASED_NAME = "(erased)"
MESSAGE_TEXT_DAYS = 90


async def audit(user_id: int | None, action: str, subject: str) -> None:
    await AuditEntry.insert(AuditEntry(at=utcnow(), user_id=user_id, action=action[:40], subject=subject[:80]))


async def export_participant(participant_id: int) -> dict[str, Any]:
    """Everything we hold about one person, as plain JSON-able data."""
    person = (
        await Participant.select(
            Participant.id,
            Participant.name,
            Participant.phone,
            Participant.email,
            Participant.language,
            Participant.consent_version,
            Participant.consent_at,
            Participant.created_at,
            Participant.updated_at,
        )
        .where(Participant.id == participant_id)
        .first()
    )
    if person is None:
        raise RegistrationNotFound("There is no such person.")
    activity: Any = Registration.session.activity
    registrations = (
        await Registration.select(
            Registration.id,
            Registration.status,
            Registration.source,
            Registration.consent_version,
            Registration.created_at,
            Registration.session.starts_at.as_alias("starts_at"),
            activity.title.as_alias("title"),
            activity.kind.as_alias("kind"),
        )
        .where(Registration.participant == participant_id)
        .order_by(Registration.id)
        .output(load_json=True)
    )
    ids = [row["id"] for row in registrations] or [-1]
    history = (
        await RegistrationChange.select(
            RegistrationChange.registration,
            RegistrationChange.at,
            RegistrationChange.from_status,
            RegistrationChange.to_status,
            RegistrationChange.note,
        )
        .where(RegistrationChange.registration.is_in(ids))
        .order_by(RegistrationChange.id)
    )
    attendance = await Attendance.select(Attendance.registration, Attendance.checked_in_at, Attendance.method).where(
        Attendance.registration.is_in(ids)
    )
    messages = (
        await OutboxMessage.select(
            OutboxMessage.registration_id,
            OutboxMessage.kind,
            OutboxMessage.status,
            OutboxMessage.channel,
            OutboxMessage.sent_at,
            OutboxMessage.subject,
            OutboxMessage.body,
        )
        .where(OutboxMessage.registration_id.is_in(ids))
        .order_by(OutboxMessage.id)
    )
    return {
        "person": person,
        "registrations": registrations,
        "history": history,
        "attendance": attendance,
        "messages": messages,
        "funder_profile": await export_profile(participant_id),
        "exported_at": utcnow(),
    }


async def export_by_token(token: str) -> dict[str, Any]:
    own = await registration_by_token(token)
    return await export_participant(own["participant"])


async def erase_participant(participant_id: int, *, reason: str, by_user_id: int | None = None) -> int:
    """Erase a person's details; returns how many registrations were anonymised.

    Future places are cancelled first (the waiting list moves up), then every personal
    field goes, links stop working, and message texts are removed.
    """
    now = utcnow()
    person = await Participant.select(Participant.id, Participant.name).where(Participant.id == participant_id).first()
    if person is None:
        raise RegistrationNotFound("There is no such person.")
    future = await Registration.select(Registration.id).where(
        Registration.participant == participant_id,
        Registration.status.is_in(list(ACTIVE)),
        Registration.session.ends_at > now,
    )
    for row in future:
        await cancel_by_id(row["id"], actor="system:erasure")
    async with write_transaction():
        await Participant.update(
            {
                Participant.name: ERASED_NAME,
                Participant.phone: None,
                Participant.email: None,
                Participant.updated_at: now,
            }
        ).where(Participant.id == participant_id)
        registrations = await Registration.select(Registration.id).where(Registration.participant == participant_id)
        for row in registrations:
            await Registration.update({Registration.token: new_token()}).where(Registration.id == row["id"])
        ids = [row["id"] for row in registrations] or [-1]
        await OutboxMessage.update({OutboxMessage.subject: "", OutboxMessage.body: ""}).where(
            OutboxMessage.registration_id.is_in(ids)
        )
        await OutboxMessage.update({OutboxMessage.status: "skipped", OutboxMessage.last_error: "erased"}).where(
            OutboxMessage.registration_id.is_in(ids), OutboxMessage.status.is_in(["pending", "sending"])
        )
        await erase_profile(participant_id)  # folded into anonymous counts, then deleted
        for merged_id in await _merged_into(participant_id):  # older records of the same person
            await Participant.update(
                {
                    Participant.name: ERASED_NAME,
                    Participant.phone: None,
                    Participant.email: None,
                    Participant.updated_at: now,
                }
            ).where(Participant.id == merged_id)
            await erase_profile(merged_id)
        await Erasure.insert(Erasure(participant_id=participant_id, at=now, reason=reason, by_user_id=by_user_id))
    return len(registrations)


async def _merged_into(participant_id: int) -> list[int]:
    """Every record merged into this person's, directly or through another merged record."""
    found: list[int] = []
    frontier = [participant_id]
    while frontier:
        rows = await Participant.select(Participant.id).where(Participant.merged_into.is_in(frontier))
        frontier = [row["id"] for row in rows if row["id"] not in found and row["id"] != participant_id]
        found.extend(frontier)
    return found


async def erase_by_token(token: str) -> int:
    own = await registration_by_token(token)
    return await erase_participant(own["participant"], reason="request")


async def apply_retention(months: int, now: datetime | None = None) -> int:
    """Erase people whose last session ended more than ``months`` ago; clear old message texts.

    Returns how many people were erased.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=round(months * 30.44))
    erased = {row["participant_id"] for row in await Erasure.select(Erasure.participant_id)}
    last_sessions = await Registration.select(
        Registration.participant, Max(Registration.session.ends_at, alias="last")
    ).group_by(Registration.participant)
    due = []
    for row in last_sessions:
        last = row["last"]
        if last is None or row["participant"] in erased:
            continue
        last = as_utc(last if isinstance(last, datetime) else datetime.fromisoformat(str(last)))
        if last < cutoff:
            due.append(row["participant"])
    for participant_id in due:
        await erase_participant(participant_id, reason="retention")
    await OutboxMessage.update({OutboxMessage.subject: "", OutboxMessage.body: ""}).where(
        OutboxMessage.sent_at < now - timedelta(days=MESSAGE_TEXT_DAYS), OutboxMessage.body != ""
    )
    return len(due)


async def audit_entries(limit: int = 200) -> list[dict[str, Any]]:
    return await AuditEntry.select().order_by(AuditEntry.id, ascending=False).limit(limit)
