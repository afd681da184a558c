"""The rules of scheduling, as plain async functions (the API, pages, CLI and jobs call these)."""

from scheduling.services.activities import (
    ActivityFilter,
    create_activity,
    get_activity,
    list_activities,
    set_activity_status,
    update_activity,
)
from scheduling.services.closures import ClosureNotFound, add_closure, list_closures, remove_closure
from scheduling.services.employers import EmployerNotFound, create_employer, get_employer, list_employers
from scheduling.services.feeds import activity_calendar, person_calendar
from scheduling.services.registrations import SignUp, sign_up
from scheduling.services.sessions import (
    SessionFilter,
    change_session,
    extend_open_series,
    get_session,
    list_activity_sessions,
    list_sessions,
)

__all__ = [
    "ActivityFilter",
    "ClosureNotFound",
    "EmployerNotFound",
    "SessionFilter",
    "SignUp",
    "activity_calendar",
    "add_closure",
    "change_session",
    "create_activity",
    "create_employer",
    "extend_open_series",
    "get_activity",
    "get_employer",
    "get_session",
    "list_activities",
    "list_activity_sessions",
    "list_closures",
    "list_employers",
    "list_sessions",
    "person_calendar",
    "remove_closure",
    "set_activity_status",
    "sign_up",
    "update_activity",
]
