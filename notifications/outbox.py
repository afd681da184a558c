"""Writing the outbox: scheduling events become message rows in the same transaction.

``subscribe_to_scheduling()`` registers :func:`on_event`; every registration and session
change then leaves its messages in the outbox, committed with the change or not at all.
Rows that are due now are also remembered for the "doorbell" (an arq job per row) that
the web process rings after the request; if Redis is down, the worker's sweep finds the
rows later. Nothing is lost either way.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from app.database import fetch
from notifications.kinds import MessageKind
from notifications.tables import OutboxMessage
from scheduling.events import (
    RegistrationEvent,
    RegistrationEventKind,
    SessionEvent,
    SessionEventKind,
    SlotEvent,
    SlotEventKind,
    subscribe,
)
from scheduling.services._common import as_utc, utcnow
from scheduling.tables import Registration, Session

REMINDERS = (
    (MessageKind.reminder_day_before, timedelta(hours=24)),
    (MessageKind.reminder_two_hours, timedelta(hours=2)),
)
ACTIVE = ("confirmed", "waitlisted")

# Outbox ids written during the current request, to ring the doorbell for after commit.
doorbell: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("treffpunkt_doorbell", default=None)


async def add_message(
    kind: MessageKind,
    *,
    dedupe_key: str,
    registration_id: int | None,
    session_id: int | None,
    not_before: datetime | None = None,
    staff_user_id: int | None = None,
) -> int | None:
    """Insert one outbox row unless one with the same key exists; returns its id if new."""
    ids = await _add_messages(
        [(kind, dedupe_key, not_before)],
        registration_id=registration_id,
        session_id=session_id,
        staff_user_id=staff_user_id,
    )
    return ids[0] if ids else None


@lru_cache(maxsize=16)
def _insert_statement(count: int) -> str:
    """``INSERT`` of ``count`` outbox rows, plain SQL (both databases): built once per row count.

    The other columns take their defaults (status ``pending``, no attempts, nothing sent yet).
    """
    row = "({}, {}, {}, {}, {}, {}, {})"
    return (
        "INSERT INTO outbox_message (dedupe_key, kind, registration_id, session_id, not_before, staff_user_id,"
        f" created_at) VALUES {', '.join([row] * count)}"
        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
    )


async def _add_messages(
    messages: Sequence[tuple[MessageKind, str, datetime | None]],
    *,
    registration_id: int | None,
    session_id: int | None,
    staff_user_id: int | None = None,
) -> list[int]:
    """Insert rows ``(kind, dedupe_key, not_before)`` in one statement; returns the ids of the new ones.

    ``ON CONFLICT (dedupe_key) DO NOTHING`` keeps a message exactly once without a read
    before each write (and without a race between two writers of the same key).
    """
    if not messages:
        return []
    now = utcnow()
    values: list[Any] = []
    for kind, dedupe_key, not_before in messages:
        values += [dedupe_key, kind.value, registration_id, session_id, not_before or now, staff_user_id, now]
    rows = await fetch(_insert_statement(len(messages)), *values)
    new_ids = {row["dedupe_key"]: int(row["id"]) for row in rows}
    pending = doorbell.get()
    ids: list[int] = []
    for _, dedupe_key, not_before in messages:  # in the caller's order
        message_id = new_ids.get(dedupe_key)
        if message_id is None:
            continue
        ids.append(message_id)
        if pending is not None and (not_before is None or not_before <= now):
            pending.append(message_id)
    return ids


def _reminders(registration_id: int, session_id: int, starts_at: datetime) -> list[tuple[MessageKind, str, datetime]]:
    now = utcnow()
    return [
        (kind, f"{kind.value}:{registration_id}:{session_id}:{starts_at.isoformat()}", starts_at - before)
        for kind, before in REMINDERS
        if starts_at - before > now
    ]


async def _schedule_reminders(registration_id: int, session_id: int, starts_at: datetime) -> None:
    await _add_messages(
        _reminders(registration_id, session_id, starts_at), registration_id=registration_id, session_id=session_id
    )


REMINDER_KINDS: tuple[MessageKind, ...] = tuple(kind for kind, _ in REMINDERS)


async def _drop_pending(
    registration_id: int | None = None,
    session_id: int | None = None,
    kinds: tuple[MessageKind, ...] = REMINDER_KINDS,
) -> None:
    query = OutboxMessage.update({OutboxMessage.status: "skipped", OutboxMessage.last_error: "no longer needed"}).where(
        OutboxMessage.status == "pending", OutboxMessage.kind.is_in([k.value for k in kinds])
    )
    if registration_id is not None:
        query = query.where(OutboxMessage.registration_id == registration_id)
    if session_id is not None:
        query = query.where(OutboxMessage.session_id == session_id)
    await query


async def _session_start(session_id: int) -> datetime:
    row = await Session.select(Session.starts_at).where(Session.id == session_id).first()
    assert row is not None
    return as_utc(row["starts_at"])


async def _live_registrations(session_id: int) -> list[dict[str, Any]]:
    return await Registration.select(Registration.id, Registration.status).where(
        Registration.session == session_id, Registration.status.is_in(list(ACTIVE))
    )


async def on_registration(event: RegistrationEvent) -> None:
    rid, sid = event.registration_id, event.session_id
    if event.kind in (RegistrationEventKind.confirmed, RegistrationEventKind.promoted):
        # The message and its reminders in one statement.
        kind = MessageKind.confirmed if event.kind is RegistrationEventKind.confirmed else MessageKind.promoted
        first: tuple[MessageKind, str, datetime | None] = (kind, f"{kind.value}:{rid}", None)
        starts_at = as_utc(event.starts_at) if event.starts_at is not None else await _session_start(sid)
        await _add_messages([first, *_reminders(rid, sid, starts_at)], registration_id=rid, session_id=sid)
    elif event.kind is RegistrationEventKind.waitlisted:
        await add_message(MessageKind.waitlisted, dedupe_key=f"waitlisted:{rid}", registration_id=rid, session_id=sid)
    elif event.kind is RegistrationEventKind.cancelled:
        await _drop_pending(registration_id=rid, kinds=tuple(MessageKind))


async def on_session(event: SessionEvent) -> None:
    sid = event.session_id
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    if event.kind is SessionEventKind.cancelled:
        await _drop_pending(session_id=sid)
        for row in await _live_registrations(sid):
            await add_message(
                MessageKind.session_cancelled,
                dedupe_key=f"cancelled:{row['id']}:{sid}:{stamp}",
                registration_id=row["id"],
                session_id=sid,
            )
    elif event.kind is SessionEventKind.moved:
        await _drop_pending(session_id=sid)
        for row in await _live_registrations(sid):
            await add_message(
                MessageKind.session_moved,
                dedupe_key=f"moved:{row['id']}:{sid}:{event.starts_at.isoformat()}:{stamp}",
                registration_id=row["id"],
                session_id=sid,
            )
            if row["status"] == "confirmed":
                await _schedule_reminders(row["id"], sid, event.starts_at)
    elif event.kind is SessionEventKind.restored:
        for row in await _live_registrations(sid):
            await add_message(
                MessageKind.session_restored,
                dedupe_key=f"restored:{row['id']}:{sid}:{stamp}",
                registration_id=row["id"],
                session_id=sid,
            )
            if row["status"] == "confirmed":
                await _schedule_reminders(row["id"], sid, event.starts_at)


async def on_slot(event: SlotEvent) -> None:
    """Tell every host of the employer that a coordinator decided on their slot."""
    from app.auth.tables import StaffUser

    kind = MessageKind.slot_approved if event.kind is SlotEventKind.approved else MessageKind.slot_declined
    hosts = await StaffUser.select(StaffUser.id).where(
        StaffUser.role == "host", StaffUser.employer_id == event.employer_id, StaffUser.active.eq(True)
    )
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    for host in hosts:
        await add_message(
            kind,
            dedupe_key=f"{kind.value}:{event.activity_id}:{host['id']}:{stamp}",
            registration_id=None,
            session_id=event.session_id,
            staff_user_id=host["id"],
        )


async def on_event(event: SessionEvent | RegistrationEvent | SlotEvent) -> None:
    if isinstance(event, RegistrationEvent):
        await on_registration(event)
    elif isinstance(event, SlotEvent):
        await on_slot(event)
    else:
        await on_session(event)


def subscribe_to_scheduling() -> None:
    subscribe(on_event)
