"""Which sessions a staff member may see and run: the one rule, for the API and the pages alike.

- Coordinators and admins: every session.
- A facilitator: every session of an activity that has **no** facilitator assigned (the
  project's shared door: a coordinator creates an activity through the contract's API, which
  cannot assign anyone, and any facilitator on duty checks people in), and the sessions of
  the activities they are assigned to. An activity with assigned facilitators is theirs:
  other facilitators are refused there (403, "ask a coordinator to add you to this activity").

"Run" covers everything at the door and on the roster: check-in scans, walk-ins, the
head-count, undoing a check-in, no-shows, the door page, the staff session page, the roster
(``GET /api/v1/sessions/{id}/registrations``), a session's and a series' attendance, and the
registration changes staff make through the API (adding someone by hand, cancelling, moving).
Which of these a facilitator may do at all is the routes' guards' business (the roster page's
actions are for coordinators only); this rule says where.

The rule is written once, as the SQL condition :func:`runs_activity`, so that the hot check-in
scan can compute it inside its one query (``checkin.services._common.scanned``) and every
other caller asks the same question through the functions below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from app.auth.roles import Role
from scheduling.errors import NotYourActivity, RegistrationNotFound, SessionNotFound
from scheduling.tables import Session

if TYPE_CHECKING:
    from app.auth.services import CurrentUser

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database


def N_(message: str) -> str:
    """Marks a string for extraction; translated where it is shown (the staff error page)."""
    return message


NOT_YOUR_ACTIVITY = N_("You are not a facilitator of this activity: ask a coordinator to add you to this activity.")


class StaffMember(Protocol):
    """Who asks: ``any_session`` for coordinators and admins (see :func:`sees_every_session`)."""

    @property
    def user_id(self) -> int: ...

    @property
    def any_session(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Staff:
    user_id: int
    any_session: bool = False

    @classmethod
    def of(cls, user: CurrentUser) -> Staff:
        return cls(user_id=user.id, any_session=sees_every_session(user))


def sees_every_session(user: CurrentUser) -> bool:
    """Coordinators and admins may see and run every session."""
    return user.has_role(Role.coordinator)


def runs_activity(activity: str) -> str:
    """The rule as an SQL condition: true when the user whose id is the one ``{}`` placeholder may run,
    as a facilitator, the sessions of the activity whose id is the SQL expression ``activity``.

    ``activity`` is a column of the caller's query (``s.activity``), never input. The condition
    does not know about coordinators: callers let ``any_session`` through before asking it.
    """
    return (
        f"(EXISTS (SELECT 1 FROM activity_facilitator af WHERE af.activity = {activity} AND af.user_id = {{}})"
        f" OR NOT EXISTS (SELECT 1 FROM activity_facilitator af WHERE af.activity = {activity}))"
    )


async def _allowed(who: StaffMember, query: str, thing_id: int) -> bool | None:
    if not 1 <= thing_id <= MAX_ID:
        return None
    rows = await Session.raw(query, who.user_id, thing_id)
    if not rows:
        return None
    return who.any_session or bool(rows[0]["allowed"])


async def may_run_session(who: StaffMember, session_id: int) -> bool | None:
    """Whether ``who`` may see and run this session; ``None`` when there is no such session. One query."""
    query = f'SELECT {runs_activity("s.activity")} AS allowed FROM "session" s WHERE s.id = {{}}'
    return await _allowed(who, query, session_id)


async def may_run_activity(who: StaffMember, activity_id: int) -> bool | None:
    """Whether ``who`` may see and run the sessions of this activity; ``None`` when there is no such activity."""
    query = f"SELECT {runs_activity('a.id')} AS allowed FROM activity a WHERE a.id = {{}}"
    return await _allowed(who, query, activity_id)


async def may_run_registration(who: StaffMember, registration_id: int) -> bool | None:
    """Whether ``who`` may act on this registration (its session's rule); ``None`` when there is none."""
    query = (
        f'SELECT {runs_activity("s.activity")} AS allowed FROM registration r JOIN "session" s ON s.id = r.session'
        " WHERE r.id = {}"
    )
    return await _allowed(who, query, registration_id)


async def check_session(who: StaffMember, session_id: int) -> None:
    """:class:`SessionNotFound` (404) for no such session, :class:`NotYourActivity` (403) outside the rule."""
    allowed = await may_run_session(who, session_id)
    if allowed is None:
        raise SessionNotFound(f"There is no session with id {session_id}.")
    if not allowed:
        raise NotYourActivity(NOT_YOUR_ACTIVITY)


async def check_registration(who: StaffMember, registration_id: int) -> None:
    """:class:`RegistrationNotFound` (404) for no such registration, :class:`NotYourActivity` (403) outside
    the rule."""
    allowed = await may_run_registration(who, registration_id)
    if allowed is None:
        raise RegistrationNotFound(f"There is no registration with id {registration_id}.")
    if not allowed:
        raise NotYourActivity(NOT_YOUR_ACTIVITY)
