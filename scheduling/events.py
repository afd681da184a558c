"""Things that happened to sessions and registrations, for other domains to react to.

Scheduling does not know who must be told or how; the notifications domain
subscribes here and writes its outbox rows. Subscribers run inside the transaction
of the change, so a change and its messages are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SessionEventKind(StrEnum):
    cancelled = "session_cancelled"
    moved = "session_moved"
    restored = "session_restored"


@dataclass(frozen=True, slots=True)
class SessionEvent:
    kind: SessionEventKind
    session_id: int
    activity_id: int
    starts_at: datetime
    previous_starts_at: datetime | None = None
    reason: str = ""


class RegistrationEventKind(StrEnum):
    confirmed = "registration_confirmed"
    waitlisted = "registration_waitlisted"
    promoted = "registration_promoted"
    cancelled = "registration_cancelled"
    moved = "registration_moved"


@dataclass(frozen=True, slots=True)
class RegistrationEvent:
    kind: RegistrationEventKind
    registration_id: int
    session_id: int
    participant_id: int
    actor: str = "participant"
    # When the session starts, if the publisher has it at hand (the locked session row):
    # subscribers then need not read it back.
    starts_at: datetime | None = None


class SlotEventKind(StrEnum):
    approved = "slot_approved"
    declined = "slot_declined"


@dataclass(frozen=True, slots=True)
class SlotEvent:
    """A coordinator decided on a host's company-visit slot."""

    kind: SlotEventKind
    activity_id: int
    employer_id: int
    session_id: int | None
    reason: str = ""


Event = SessionEvent | RegistrationEvent | SlotEvent
Subscriber = Callable[[Event], Awaitable[None]]
_subscribers: list[Subscriber] = []


def subscribe(callback: Subscriber) -> None:
    if callback not in _subscribers:
        _subscribers.append(callback)


async def publish(event: Event) -> None:
    for callback in list(_subscribers):
        await callback(event)
