"""The two writes every admission shares: the attendance row and the door log entry.

On PostgreSQL a scan writes with one statement (:func:`log_and_admit`, :func:`log_only`),
atomic by itself: no BEGIN and COMMIT round trips. SQLite has no data-modifying CTEs; there
the scan writes with :func:`admit` and :func:`log_scan` inside a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.database import engine, fetchrow
from checkin.outcomes import CheckinMethod, CheckinResult
from checkin.services._common import Operator, Person, Scanned, found_in
from checkin.tables import Attendance, DoorScan, NoShow
from scheduling.access import runs_activity
from scheduling.kinds import RegistrationStatus, SessionStatus


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


# --- PostgreSQL: a scan's writes in one statement --------------------------------------------------


def at_once() -> bool:
    """Whether the scan's writes can be one statement (PostgreSQL's data-modifying CTEs)."""
    return isinstance(engine(), PostgresEngine)


_LOG = (
    "INSERT INTO door_scan"
    " (session_id, registration_id, outcome, reason, method, by_user_id, scanned_at, recorded_at, client_nonce)"
    " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING RETURNING id"
)
# The log entry first; the attendance row only when the entry was written (a client nonce that is
# logged already is a resend: nothing at all changes); the no-show mark goes only when this scan
# admitted. ``first_at`` is the earlier check-in as the statement's snapshot sees it (``NULL``
# when a concurrent scan admitted after the snapshot, or this one did).
_LOG_AND_ADMIT = (
    f"WITH logged AS ({_LOG}),"
    " admitted AS (INSERT INTO attendance"
    " (registration, session, checked_in_at, recorded_at, method, by_user_id, client_nonce)"
    " SELECT {}::integer, {}::integer, {}::timestamptz, {}::timestamptz, {}::varchar, {}::integer, {}::varchar"
    " FROM logged ON CONFLICT DO NOTHING RETURNING registration),"
    " cleared AS (DELETE FROM no_show WHERE registration IN (SELECT registration FROM admitted))"
    " SELECT EXISTS (SELECT 1 FROM logged) AS logged, EXISTS (SELECT 1 FROM admitted) AS admitted,"
    " (SELECT a.checked_in_at FROM attendance a WHERE a.registration = {}) AS first_at"
)


def _log_values(
    door: Door, outcome: str, who: Person | None, reason: str | None, method: CheckinMethod | None
) -> tuple[Any, ...]:
    return (
        door.session_id if door.session_id is not None else (who.session_id if who else None),
        who.id if who else None,
        outcome,
        reason or "",
        method.value if method else "",
        door.by.user_id,
        door.seen_at,
        door.recorded_at,
        door.client_nonce,
    )


async def log_only(
    door: Door, outcome: str, who: Person | None, *, reason: str | None, method: CheckinMethod | None
) -> bool:
    """:func:`log_scan` as one plain statement (PostgreSQL, outside a transaction)."""
    return await fetchrow(_LOG, *_log_values(door, outcome, who, reason, method)) is not None


async def log_and_admit(
    door: Door, outcome: str, who: Person, method: CheckinMethod
) -> tuple[bool, CheckinResult, datetime | None]:
    """:func:`log_scan` and :func:`admit` as one statement (PostgreSQL, outside a transaction).

    ``(logged, result, checked_in_at)``; when not ``logged`` (the client nonce was logged already)
    nothing was written. The UNIQUE constraint on the registration decides, as in :func:`admit`.
    """
    row = await fetchrow(
        _LOG_AND_ADMIT,
        *_log_values(door, outcome, who, None, method),
        who.id,
        who.session_id,
        door.seen_at,
        door.recorded_at,
        method.value,
        door.by.user_id,
        door.client_nonce,
        who.id,
    )
    assert row is not None
    if not row["logged"]:
        return False, CheckinResult.already, None
    if row["admitted"]:
        return True, CheckinResult.ok, door.seen_at
    first_at = row["first_at"]
    if first_at is None:  # admitted by a concurrent scan after this statement's snapshot: read it now
        first_at = await checked_in_at(who.id)
    return True, CheckinResult.already, first_at


# The whole of a scan that checks a person in, read and writes in one statement: the person as
# ``checkin.services._common.scanned`` reads them, and only when the door admits them (the
# operator may run their session, it is the door's session when the door names one, neither the
# registration nor the session is cancelled, the person is not waitlisted: ``scans._decide``'s
# ``ok``) the log entry, the attendance row and the no-show correction as in ``_LOG_AND_ADMIT``.
# Otherwise it writes nothing and the caller decides and logs with what it read.
_SCAN_AND_ADMIT = (
    "WITH seen AS (SELECT r.id, r.status, r.session, p.name, s.status AS session_status,"
    f" {runs_activity('s.activity')} AS facilitates"
    " FROM registration r JOIN participant p ON p.id = r.participant"
    ' JOIN "session" s ON s.id = r.session WHERE r.id = {}),'
    " door AS (SELECT {}::boolean AS any_session, {}::integer AS session_id, {}::varchar AS method,"
    " {}::integer AS by_user_id, {}::timestamptz AS scanned_at, {}::timestamptz AS recorded_at,"
    " {}::varchar AS client_nonce),"
    " admissible AS (SELECT seen.id, seen.session, door.* FROM seen, door"
    " WHERE (door.any_session OR seen.facilitates) AND (door.session_id IS NULL OR seen.session = door.session_id)"
    " AND seen.status <> {}::varchar AND seen.status <> {}::varchar AND seen.session_status <> {}::varchar),"
    " logged AS (INSERT INTO door_scan"
    " (session_id, registration_id, outcome, reason, method, by_user_id, scanned_at, recorded_at, client_nonce)"
    " SELECT session, id, {}::varchar, '', method, by_user_id, scanned_at, recorded_at, client_nonce"
    " FROM admissible ON CONFLICT DO NOTHING RETURNING registration_id),"
    " admitted AS (INSERT INTO attendance"
    " (registration, session, checked_in_at, recorded_at, method, by_user_id, client_nonce)"
    " SELECT id, session, scanned_at, recorded_at, method, by_user_id, client_nonce"
    " FROM admissible JOIN logged ON logged.registration_id = admissible.id"
    " ON CONFLICT DO NOTHING RETURNING registration),"
    " cleared AS (DELETE FROM no_show WHERE registration IN (SELECT registration FROM admitted))"
    " SELECT seen.*, EXISTS (SELECT 1 FROM admissible) AS admissible, EXISTS (SELECT 1 FROM logged) AS logged,"
    " EXISTS (SELECT 1 FROM admitted) AS admitted,"
    " (SELECT a.checked_in_at FROM attendance a WHERE a.registration = seen.id) AS first_at FROM seen"
)


@dataclass(frozen=True, slots=True)
class Admission:
    """What :func:`scan_and_admit` did: ``seen`` is the person (``None``: nobody); ``result`` is ``None``
    when the door does not admit them (nothing was written), else ``ok`` or ``already`` with the time;
    ``logged`` is ``False`` when the client nonce was logged already (a resend: nothing was written)."""

    seen: Scanned | None
    result: CheckinResult | None = None
    checked_in_at: datetime | None = None
    logged: bool = True


async def scan_and_admit(registration_id: int, door: Door, method: CheckinMethod, outcome: str) -> Admission:
    """Read the person and, when the door admits them, log and admit them: one statement (PostgreSQL).

    ``outcome`` is what the log says of an admission (``scans._Decision.logged_outcome``).
    """
    row = await fetchrow(
        _SCAN_AND_ADMIT,
        door.by.user_id,
        registration_id,
        door.by.any_session,
        door.session_id,
        method.value,
        door.by.user_id,
        door.seen_at,
        door.recorded_at,
        door.client_nonce,
        RegistrationStatus.cancelled.value,
        RegistrationStatus.waitlisted.value,
        SessionStatus.cancelled.value,
        outcome,
    )
    seen = found_in(row, door.by)
    if row is None or seen is None or not row["admissible"]:
        return Admission(seen)
    if not row["logged"]:
        return Admission(seen, CheckinResult.already, None, logged=False)
    if row["admitted"]:
        return Admission(seen, CheckinResult.ok, door.seen_at)
    first_at = row["first_at"]
    if first_at is None:  # admitted by a concurrent scan after this statement's snapshot: read it now
        first_at = await checked_in_at(seen.who.id)
    return Admission(seen, CheckinResult.already, first_at)
