"""People who come to the door without a registration.

A named walk-in is registered through the one sign-up rule (``source="walk_in"``: staff
record the consent, so no phone or e-mail is needed) and checked in in the same
transaction. Capacity holds at the door too: when the session is full the walk-in is
refused (409) rather than put on the waiting list while standing in the room; the
facilitator can free a place or use the anonymous head-count.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.database import write_transaction
from checkin.errors import InvalidCheckin, NoSeatForWalkIn
from checkin.outcomes import CheckinMethod, CheckinResult
from checkin.services._common import Operator, authorize, person, utcnow
from checkin.services._door import Door, admit, log_scan
from checkin.services.scans import ScanResult
from checkin.tables import WalkInCount
from scheduling.kinds import RegistrationStatus
from scheduling.services.registrations import SignUp, sign_up


@dataclass(frozen=True, slots=True)
class WalkIn:
    name: str
    language: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class WalkInResult:
    scan: ScanResult
    created: bool  # False: the phone or e-mail matched a registration the person already had


async def walk_in(session_id: int, who: WalkIn, *, by: Operator) -> WalkInResult:
    """Register a person at the door and check them in at once."""
    await authorize(by, session_id)
    now = utcnow()
    door = Door(by=by, session_id=session_id, seen_at=now, recorded_at=now)
    async with write_transaction():
        signed = await sign_up(
            session_id,
            SignUp(name=who.name, language=who.language, phone=who.phone, email=who.email, source="walk_in"),
            actor=f"staff:{by.user_id}",
            now=now,
        )
        if signed.status is not RegistrationStatus.confirmed:
            raise NoSeatForWalkIn(  # raised inside the transaction: the waiting-list place is not kept
                "This session is full, so nobody more can be admitted. A place frees up when someone cancels."
            )
        registered = await person(signed.registration_id)
        assert registered is not None
        result, at = await admit(registered, door, CheckinMethod.walk_in)
        await log_scan(door, result.value, registered, reason=None, method=CheckinMethod.walk_in)
    return WalkInResult(ScanResult(CheckinResult(result), registered, at), created=signed.created)


async def count_anonymous_walk_ins(session_id: int, delta: int, *, by: Operator) -> int:
    """Add ``delta`` (negative to correct) to a session's anonymous head-count; returns the new count."""
    await authorize(by, session_id)
    now = utcnow()
    async with write_transaction():
        await WalkInCount.insert(WalkInCount(session=session_id, head_count=0, updated_at=now)).on_conflict(
            target=WalkInCount.session, action="DO NOTHING"
        )
        rows = (
            await WalkInCount.update(
                {WalkInCount.head_count: WalkInCount.head_count + delta, WalkInCount.updated_at: now}
            )
            .where(WalkInCount.session == session_id, WalkInCount.head_count >= -delta)
            .returning(WalkInCount.head_count)
        )
    if not rows:
        raise InvalidCheckin("delta", "The head-count cannot go below zero.")
    return int(rows[0]["head_count"])
