"""Errors of company visits. All are scheduling errors; ``status_code`` is the HTTP answer.

VisitError (SchedulingError)
 ├── SlotNotFound          no such slot, or one of another employer's (404, reveals nothing)
 ├── NotAllowed            a host acting for another employer, or a role that may not do this (403)
 ├── SlotChangeRefused     the slot's state does not allow it: people signed up, over, decided (409)
 └── NotAVisit             the registration is not for a company visit (409)

Bad input raises :class:`scheduling.errors.InvalidActivity` (400, ``field`` names it).
"""

from __future__ import annotations

from scheduling.errors import SchedulingError


class VisitError(SchedulingError):
    """Base class; ``str(error)`` is a sentence a person can act on."""

    status_code = 400


class SlotNotFound(VisitError):
    status_code = 404


class NotAllowed(VisitError):
    status_code = 403


class SlotChangeRefused(VisitError):
    status_code = 409


class NotAVisit(VisitError):
    status_code = 409
