"""Errors of the scheduling domain.

SchedulingError
 ├── InvalidActivity        a field of an activity is wrong; ``field`` names it
 │    ├── InvalidRule       the RRULE is wrong; ``part`` names the rule part (e.g. BYDAY)
 │    └── NonexistentTime   a local start falls into a daylight-saving gap
 ├── ActivityNotFound       no such activity (or not visible to the caller)
 ├── SessionNotFound        no such session
 ├── NotYourActivity        a facilitator outside the activity (403; the rule is ``scheduling.access``)
 ├── SessionChangeRefused   a session cannot be changed that way (e.g. it is in the past)
 ├── SignupClosed           sign-up is not possible for this session (past, cancelled, cut-off)
 ├── SessionFull            no place left and no waiting list
 ├── RegistrationNotFound   no such registration (a wrong token reveals nothing)
 └── Busy                   (scheduling.locking) too many at once; retry shortly
"""

from __future__ import annotations


class SchedulingError(Exception):
    """Base class; ``str(error)`` is a sentence a person can act on."""

    field: str | None = None


class InvalidActivity(SchedulingError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class InvalidRule(InvalidActivity):
    def __init__(self, part: str, message: str) -> None:
        super().__init__("rrule", f"rrule {part}: {message}")
        self.part = part


class NonexistentTime(InvalidActivity):
    pass


class ActivityNotFound(SchedulingError):
    pass


class SessionNotFound(SchedulingError):
    pass


class NotYourActivity(SchedulingError):
    pass


class SessionChangeRefused(SchedulingError):
    pass


class SignupClosed(SchedulingError):
    pass


class SessionFull(SchedulingError):
    pass


class RegistrationNotFound(SchedulingError):
    pass
