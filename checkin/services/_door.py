"""The two writes every admission shares: the attendance row and the door log entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from checkin.outcomes import CheckinMethod, CheckinResult
from checkin.services._common import Operator, Person
from checkin.tables import Attendance, DoorScan, NoShow


@dataclass(frozen=True, slots=True)
class Door:
    """One scan as the door reports it."""

    by: Operator
    session_id: int | None  # the session the door is checking people in for, when it says so
    seen_at: datetime  # the client's scan time (never in the future), else the server's
    recorded_at: datetime
    client_nonce: str | None = None


async def admit(who: Person, door: Door, method: CheckinMethod) -> tuple[CheckinResult, datetime | None]:
    """Record that ``who`` is here: ``ok`` with the new time, or ``already`` with the first one.

    The UNIQUE constraint on the registration decides, not a read before the write: of
    any number of concurrent scans (in any number of processes) exactly one inserts,
    the others find the conflict and answer ``already``. ``ON CONFLICT DO NOTHING``
    keeps a PostgreSQL transaction usable after the conflict.
    """
    inserted = (
        await Attendance.insert(
            Attendance(
                registration=who.id,
                session=who.session_id,
                checked_in_at=door.seen_at,
                recorded_at=door.recorded_at,
                method=method.value,
                by_user_id=door.by.user_id,
                client_nonce=door.client_nonce,
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(Attendance.id)
    )
    if inserted:
        await NoShow.delete().where(NoShow.registration == who.id)  # a late correction wins over "did not come"
        return CheckinResult.ok, door.seen_at
    return CheckinResult.already, await checked_in_at(who.id)


async def checked_in_at(registration_id: int) -> datetime | None:
    row = await Attendance.select(Attendance.checked_in_at).where(Attendance.registration == registration_id).first()
    return row["checked_in_at"] if row else None


async def log_scan(
    door: Door, outcome: str, who: Person | None, *, reason: str | None, method: CheckinMethod | None
) -> bool:
    """Store a scan in the door log. ``False`` when its client nonce was logged already (a resend)."""
    inserted = (
        await DoorScan.insert(
            DoorScan(
                session_id=door.session_id if door.session_id is not None else (who.session_id if who else None),
                registration_id=who.id if who else None,
                outcome=outcome,
                reason=reason or "",
                method=method.value if method else "",
                by_user_id=door.by.user_id,
                scanned_at=door.seen_at,
                recorded_at=door.recorded_at,
                client_nonce=door.client_nonce,
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(DoorScan.id)
    )
    return bool(inserted)
