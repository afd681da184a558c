"""Errors of the checkin domain. A denied scan is not an error: it is a result (``checkin.outcomes``).

CheckinError                 ``status_code`` is the HTTP answer, ``field`` names bad input
 ├── InvalidCheckin          bad input, e.g. a short code without a session (400)
 ├── NotYourSession          a facilitator outside ``scheduling.access``'s rule for this session (403)
 ├── SessionNotFound         no such session (404)
 ├── ActivityNotFound        no such activity (404)
 ├── NothingToUndo           no check-in of yours to take back (409)
 ├── SessionStateRefused     not in this state of the session, e.g. no-shows before it ended (409)
 └── NoSeatForWalkIn         the session is full; a walk-in cannot be admitted (409)
"""

from __future__ import annotations


class CheckinError(Exception):
    """Base class; ``str(error)`` is a sentence a person can act on."""

    status_code = 400
    field: str | None = None


class InvalidCheckin(CheckinError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotYourSession(CheckinError):
    status_code = 403


class SessionNotFound(CheckinError):
    status_code = 404


class ActivityNotFound(CheckinError):
    status_code = 404


class NothingToUndo(CheckinError):
    status_code = 409


class SessionStateRefused(CheckinError):
    status_code = 409


class NoSeatForWalkIn(CheckinError):
    status_code = 409
