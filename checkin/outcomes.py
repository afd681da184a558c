"""The words of the door: results of a scan, why a scan was denied, how a person was checked in."""

from __future__ import annotations

from enum import StrEnum


class CheckinResult(StrEnum):
    """What ``POST /api/v1/checkin`` answers (the public contract)."""

    ok = "ok"  # checked in now
    already = "already"  # was checked in before; nothing changed
    invalid = "invalid"  # not a code of ours, or nobody who may come in (see the reason)
    wrong_session = "wrong_session"  # a genuine code for another session
    cancelled = "cancelled"  # the registration or its session is cancelled


class Reason(StrEnum):
    """Why a scan was not ``ok``: for the door screen to say what to do."""

    unknown_code = "unknown_code"  # garbage, a forged or mistyped code
    unknown_registration = "unknown_registration"  # signed by us, but the registration is gone
    ambiguous_code = "ambiguous_code"  # a short code two people of this session share: scan the QR code
    waitlisted = "waitlisted"  # on the waiting list, so not admitted
    registration_cancelled = "registration_cancelled"
    session_cancelled = "session_cancelled"


class CheckinMethod(StrEnum):
    qr = "qr"  # the signed QR payload, scanned
    code = "code"  # the short code, typed
    name = "name"  # picked from the session's list by name
    walk_in = "walk_in"  # registered at the door


class LogOnly(StrEnum):
    """Outcomes stored in the door log that the check-in call never answers with."""

    forbidden = "forbidden"  # a facilitator scanning at a session they do not run (answered 403)
    undone = "undone"  # a check-in taken back
