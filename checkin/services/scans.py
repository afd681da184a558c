"""Checking a person in at the door: by QR code, by typed short code, or picked by name.

Every scan answers one of the contract's results (``checkin.outcomes.CheckinResult``)
and is stored in the door log, denied ones too. A resend with the same client nonce
(a phone that lost the answer and tries again) gets the original answer back and
changes nothing.

Rules, in the order they are applied:

- a code that is neither a genuine QR payload nor a short code of the door's session
  is ``invalid`` (reason ``unknown_code``);
- a facilitator may only check in where ``scheduling.access`` lets them: sessions of activities they are
  assigned to, or of activities nobody is assigned to (403 elsewhere);
- a genuine code for another session than the door's is ``wrong_session``;
- a cancelled registration, or a registration for a cancelled session, is ``cancelled``;
- a person on the waiting list is ``invalid`` with reason ``waitlisted``: they have no
  place (the contract has no "not confirmed" result; staff can register them as a
  walk-in once a place is free);
- otherwise the person is checked in (``ok``), or was before (``already``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.database import write_transaction
from checkin.codes import looks_signed, normalise_short_code, short_code, verify
from checkin.errors import InvalidCheckin, NothingToUndo, SessionNotFound
from checkin.outcomes import CheckinMethod, CheckinResult, LogOnly, Reason
from checkin.services._common import (
    MAX_ID,
    AtTheDoor,
    Operator,
    Person,
    as_utc,
    authorize,
    checkin_keys,
    not_your_session,
    person,
    scanned,
    session_row,
    utcnow,
)
from checkin.services._door import (
    Door,
    admit,
    at_once,
    checked_in_at,
    log_and_admit,
    log_only,
    log_scan,
    scan_and_admit,
)
from checkin.tables import Attendance, DoorScan
from scheduling.kinds import RegistrationStatus, SessionStatus
from scheduling.tables import Registration


@dataclass(frozen=True, slots=True)
class ScanResult:
    result: CheckinResult
    registration: Person | None = None
    checked_in_at: datetime | None = None
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class _Target:
    """What a code stands for: a registration id, or why it stands for nobody."""

    registration_id: int | None
    method: CheckinMethod
    reason: Reason | None = None


class _NonceTaken(Exception):
    """A concurrent request with the same client nonce was logged first."""


async def check_in(
    code: str,
    *,
    session_id: int | None,
    by: Operator,
    scanned_at: datetime | None = None,
    client_nonce: str | None = None,
) -> ScanResult:
    """Check in whoever the QR payload or typed short code stands for.

    A short code is only unique within a session, so it needs ``session_id``.
    """
    target = await _resolve(code, session_id)
    return await _scan(target, _door(by, session_id, scanned_at, client_nonce))


async def check_in_registration(
    registration_id: int,
    *,
    session_id: int | None,
    by: Operator,
    scanned_at: datetime | None = None,
    client_nonce: str | None = None,
) -> ScanResult:
    """Check in a person picked by name from the session's list."""
    target = _Target(registration_id, CheckinMethod.name)
    return await _scan(target, _door(by, session_id, scanned_at, client_nonce))


def _door(by: Operator, session_id: int | None, scanned_at: datetime | None, client_nonce: str | None) -> Door:
    now = utcnow()
    seen_at = min(as_utc(scanned_at), now) if scanned_at is not None else now
    return Door(by=by, session_id=session_id, seen_at=seen_at, recorded_at=now, client_nonce=client_nonce)


async def _resolve(code: str, session_id: int | None) -> _Target:
    if looks_signed(code):
        registration_id = verify(code, checkin_keys())
        if registration_id is None:
            return _Target(None, CheckinMethod.qr, Reason.unknown_code)
        return _Target(registration_id, CheckinMethod.qr)
    typed = normalise_short_code(code)
    if typed is None:
        return _Target(None, CheckinMethod.code, Reason.unknown_code)
    if session_id is None:
        raise InvalidCheckin("session_id", "A typed code is only valid at its session's door: send session_id too.")
    await session_row(session_id)
    keys = checkin_keys()
    rows = await Registration.select(Registration.id).where(Registration.session == session_id)
    matches = [row["id"] for row in rows if short_code(row["id"], keys) == typed]
    if len(matches) > 1:
        return _Target(None, CheckinMethod.code, Reason.ambiguous_code)
    if not matches:
        return _Target(None, CheckinMethod.code, Reason.unknown_code)
    return _Target(matches[0], CheckinMethod.code)


@dataclass(frozen=True, slots=True)
class _Decision:
    answer: ScanResult
    forbidden: bool = False  # answered with 403 instead, and logged as "forbidden"

    @property
    def logged_outcome(self) -> str:
        return LogOnly.forbidden.value if self.forbidden else self.answer.result.value


async def _scan(target: _Target, door: Door) -> ScanResult:
    if at_once():
        return await _scan_at_once(target, door)
    if door.client_nonce is not None and (original := await _logged(door.client_nonce)) is not None:
        return await _replay(original)
    try:
        async with write_transaction():
            decision = _decide(target, door, await scanned(target.registration_id, door.by, door.session_id))
            answer = decision.answer
            if answer.result is CheckinResult.ok and answer.registration is not None:
                result, at = await admit(answer.registration, door, target.method)
                answer = ScanResult(result, answer.registration, at)
            reason = answer.reason.value if answer.reason else None
            logged = await log_scan(
                door, decision.logged_outcome, answer.registration, reason=reason, method=target.method
            )
            if not logged:
                raise _NonceTaken  # roll back: the first request with this nonce has the say
    except _NonceTaken:
        original = await _logged(door.client_nonce or "")
        assert original is not None
        return await _replay(original)
    if decision.forbidden:
        raise not_your_session()
    return answer


async def _scan_at_once(target: _Target, door: Door) -> ScanResult:
    """:func:`_scan` on PostgreSQL without a transaction: a person the door admits costs one statement
    (read, log and admit: ``_door.scan_and_admit``); a denied scan a second one that logs it, and a
    third that reads the door's session when the code is for another session or for nobody.

    A resend is found by its write: the log entry's client nonce is taken, the statement changes
    nothing, and the original answer goes back, as above.
    """
    admission = None
    if _fits(target.registration_id) and (door.session_id is None or _fits(door.session_id)):
        assert target.registration_id is not None
        admission = await scan_and_admit(target.registration_id, door, target.method, CheckinResult.ok.value)
        if admission.result is not None:
            if not admission.logged:
                return await _resent(door)
            assert admission.seen is not None
            return ScanResult(admission.result, admission.seen.who, admission.checked_in_at)
    found = admission.seen if admission is not None else None
    if door.session_id is None or (found is not None and found.who.session_id == door.session_id):
        seen = AtTheDoor(found=found, door_allowed=True)  # the door's own right is not asked (_decide)
    else:
        try:
            seen = await scanned(target.registration_id, door.by, door.session_id)
        except SessionNotFound:
            if door.client_nonce is not None and (original := await _logged(door.client_nonce)) is not None:
                return await _replay(original)  # the session is gone since; the scan was answered before
            raise
    decision = _decide(target, door, seen)
    answer = decision.answer
    if answer.result is CheckinResult.ok and answer.registration is not None:  # admissible since the first read
        logged, result, at = await log_and_admit(door, decision.logged_outcome, answer.registration, target.method)
        answer = ScanResult(result, answer.registration, at)
    else:
        reason = answer.reason.value if answer.reason else None
        logged = await log_only(door, decision.logged_outcome, answer.registration, reason=reason, method=target.method)
    if not logged:
        return await _resent(door)
    if decision.forbidden:
        raise not_your_session()
    return answer


def _fits(some_id: int | None) -> bool:
    """An id the database can hold (others are answered like unknown ones, below)."""
    return some_id is not None and 1 <= some_id <= MAX_ID


async def _resent(door: Door) -> ScanResult:
    """The original answer to a scan whose client nonce is logged already."""
    original = await _logged(door.client_nonce or "")
    assert original is not None
    return await _replay(original)


def _decide(target: _Target, door: Door, seen: AtTheDoor) -> _Decision:
    """What the door answers, before anything is written (an unknown door session was a 404 already)."""
    if target.registration_id is None:
        return _Decision(ScanResult(CheckinResult.invalid, reason=target.reason))
    found = seen.found
    if found is None:
        return _Decision(ScanResult(CheckinResult.invalid, reason=Reason.unknown_registration))
    who = found.who
    allowed = found.may_check_in if door.session_id in (None, who.session_id) else seen.door_allowed
    if not allowed:
        return _Decision(ScanResult(CheckinResult.invalid, who), forbidden=True)
    if door.session_id is not None and who.session_id != door.session_id:
        return _Decision(ScanResult(CheckinResult.wrong_session, who))
    if who.status == RegistrationStatus.cancelled.value:
        return _Decision(ScanResult(CheckinResult.cancelled, who, reason=Reason.registration_cancelled))
    if found.session_status == SessionStatus.cancelled.value:
        return _Decision(ScanResult(CheckinResult.cancelled, who, reason=Reason.session_cancelled))
    if who.status == RegistrationStatus.waitlisted.value:
        return _Decision(ScanResult(CheckinResult.invalid, who, reason=Reason.waitlisted))
    return _Decision(ScanResult(CheckinResult.ok, who))


async def _logged(client_nonce: str) -> dict[str, Any] | None:
    return await DoorScan.select().where(DoorScan.client_nonce == client_nonce).first()


async def _replay(original: dict[str, Any]) -> ScanResult:
    """The answer a logged scan got, for a resend of it."""
    if original["outcome"] == LogOnly.forbidden.value:
        raise not_your_session()
    result = CheckinResult(original["outcome"])
    who = await person(original["registration_id"]) if original["registration_id"] is not None else None
    at = await checked_in_at(who.id) if who and result in (CheckinResult.ok, CheckinResult.already) else None
    return ScanResult(result, who, at, Reason(original["reason"]) if original["reason"] else None)


# --- taking a check-in back ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Undone:
    registration: Person
    checked_in_at: datetime


async def undo_last(session_id: int, *, by: Operator) -> Undone:
    """Take back the last check-in this staff member made at this session (a mis-scan, a wrong name).

    The registration stays as it was; the door log keeps the scan and adds an ``undone`` entry.
    """
    await authorize(by, session_id)
    now = utcnow()
    async with write_transaction():
        for _ in range(3):  # a concurrent undo may take the same row first: then take the one before
            last = (
                await Attendance.select(Attendance.id, Attendance.registration, Attendance.checked_in_at)
                .where(Attendance.session == session_id, Attendance.by_user_id == by.user_id)
                .order_by(Attendance.recorded_at, ascending=False)
                .order_by(Attendance.id, ascending=False)
                .first()
            )
            if last is None:
                break
            if await Attendance.delete().where(Attendance.id == last["id"]).returning(Attendance.id):
                who = await person(last["registration"])
                assert who is not None
                door = Door(by=by, session_id=session_id, seen_at=now, recorded_at=now)
                await log_scan(door, LogOnly.undone.value, who, reason=None, method=None)
                return Undone(who, last["checked_in_at"])
    raise NothingToUndo("There is no check-in of yours at this session to take back.")
