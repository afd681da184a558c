"""What the check-in services share: who is at the door, the person a scan is about, time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from app.database import fetchrow
from app.settings import get_settings
from checkin.codes import CheckinKeys
from checkin.errors import NotYourSession, SessionNotFound
from scheduling.access import NOT_YOUR_ACTIVITY, may_run_session, runs_activity
from scheduling.tables import Registration, Session


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database


def checkin_keys() -> CheckinKeys:
    return _keys(get_settings().secret_key)


@lru_cache(maxsize=4)
def _keys(secret: str) -> CheckinKeys:
    return CheckinKeys.from_secret(secret)


@dataclass(frozen=True, slots=True)
class Operator:
    """The staff member at the door. ``any_session``: coordinators and admins, who may check in anywhere;
    facilitators at sessions of the activities they are assigned to and of those nobody is assigned to
    (the rule of ``scheduling.access``)."""

    user_id: int
    any_session: bool = False


@dataclass(frozen=True, slots=True)
class Person:
    """The registration a scan is about, as the door screen shows it."""

    id: int
    name: str
    status: str
    session_id: int


async def person(registration_id: int) -> Person | None:
    if not 1 <= registration_id <= MAX_ID:
        return None
    row = (
        await Registration.select(
            Registration.id,
            Registration.status,
            Registration.session,
            Registration.participant.name.as_alias("name"),
        )
        .where(Registration.id == registration_id)
        .first()
    )
    if row is None:
        return None
    return Person(id=row["id"], name=row["name"], status=row["status"], session_id=row["session"])


@dataclass(frozen=True, slots=True)
class Scanned:
    """A scanned person with what the door decides on, read in one query."""

    who: Person
    session_status: str
    may_check_in: bool  # the operator may run this person's session (``scheduling.access``)


@dataclass(frozen=True, slots=True)
class AtTheDoor:
    """What one scan reads: the person (``None`` for nobody) and the operator's right at the door's session."""

    found: Scanned | None
    door_allowed: bool  # the operator may run the door's session (``True`` when the door names none)


def _checked(value: Any) -> bool:
    return bool(value)  # SQLite answers 0/1


_SCANNED = (
    "SELECT r.id, r.status, r.session, p.name, s.status AS session_status,"
    f" {runs_activity('s.activity')} AS facilitates"
    " FROM registration r JOIN participant p ON p.id = r.participant"
    ' JOIN "session" s ON s.id = r.session WHERE r.id = {}'
)
# With the door's session: that session (no row: it does not exist) and the person, if any.
_SCANNED_AT_DOOR = (
    f"SELECT d.id AS door_id, {runs_activity('d.activity')} AS door_runs,"
    " r.id, r.status, r.session, p.name, s.status AS session_status,"
    f" {runs_activity('s.activity')} AS facilitates"
    ' FROM "session" d'
    " LEFT JOIN registration r ON r.id = {}"
    " LEFT JOIN participant p ON p.id = r.participant"
    ' LEFT JOIN "session" s ON s.id = r.session'
    " WHERE d.id = {}"
)


def found_in(row: Mapping[str, Any] | None, operator: Operator) -> Scanned | None:
    """The person of a row with the columns of :func:`scanned`'s query, or ``None`` for nobody."""
    if row is None or row["id"] is None or row["name"] is None or row["session_status"] is None:
        return None
    return Scanned(
        who=Person(id=row["id"], name=row["name"], status=row["status"], session_id=row["session"]),
        session_status=row["session_status"],
        may_check_in=operator.any_session or _checked(row["facilitates"]),
    )


async def scanned(registration_id: int | None, operator: Operator, door_session_id: int | None = None) -> AtTheDoor:
    """The registration, its session's state and the operator's right to it, and their right at the door's
    session when the door names one: one round trip (none when there is nothing to look up).

    The right is the rule of ``scheduling.access``, computed inside this query. :class:`SessionNotFound`
    when the door names a session that does not exist, whoever asks and whatever the code.

    Every QR scan reads this; separate lookups were most of a scan's cost (bench/README.md).
    """
    if registration_id is not None and not 1 <= registration_id <= MAX_ID:
        registration_id = None  # no such registration (and more than the database's integers hold)
    if door_session_id is None:
        if registration_id is None:
            return AtTheDoor(found=None, door_allowed=True)
        row = await fetchrow(_SCANNED, operator.user_id, registration_id)
        return AtTheDoor(found=found_in(row, operator), door_allowed=True)
    if not 1 <= door_session_id <= MAX_ID:
        raise SessionNotFound(f"There is no session with id {door_session_id}.")
    row = await fetchrow(_SCANNED_AT_DOOR, operator.user_id, operator.user_id, registration_id, door_session_id)
    if row is None:
        raise SessionNotFound(f"There is no session with id {door_session_id}.")
    return AtTheDoor(found=found_in(row, operator), door_allowed=operator.any_session or _checked(row["door_runs"]))


async def session_row(session_id: int) -> dict[str, Any]:
    """The session with its activity id and state; :class:`SessionNotFound` if there is none."""
    if not 1 <= session_id <= MAX_ID:
        raise SessionNotFound(f"There is no session with id {session_id}.")
    row = (
        await Session.select(Session.id, Session.activity, Session.status, Session.starts_at, Session.ends_at)
        .where(Session.id == session_id)
        .first()
    )
    if row is None:
        raise SessionNotFound(f"There is no session with id {session_id}.")
    return row


async def may_check_in(operator: Operator, session_id: int) -> bool:
    """Whether the operator may check people in at this session: ``scheduling.access``'s rule, in one query
    (coordinators and admins anywhere; a facilitator where they are assigned, or where nobody is).

    :class:`SessionNotFound` for a session that does not exist, whoever asks.
    """
    allowed = await may_run_session(operator, session_id)
    if allowed is None:
        raise SessionNotFound(f"There is no session with id {session_id}.")
    return allowed


def not_your_session() -> NotYourSession:
    return NotYourSession(NOT_YOUR_ACTIVITY)


async def authorize(operator: Operator, session_id: int) -> None:
    """:class:`NotYourSession` (403) outside the rule, :class:`SessionNotFound` (404) for no such session."""
    if not await may_check_in(operator, session_id):
        raise not_your_session()
