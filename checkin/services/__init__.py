"""The rules of the door, as plain async functions (the API, the door page and jobs call these)."""

from checkin.services._common import MAX_ID, Operator, Person, authorize, may_check_in
from checkin.services.attendance import Attendee, SessionAttendance, attendance, mark_due_no_shows, mark_no_shows
from checkin.services.marks import Mark
from checkin.services.people import PEOPLE_COLUMNS, PersonAttendance, people_report
from checkin.services.period import Period
from checkin.services.reports import (
    REPORT_COLUMNS,
    ReportRow,
    attendance_report,
    report_csv,
    report_xlsx,
    table_csv,
    table_xlsx,
)
from checkin.services.scans import ScanResult, Undone, check_in, check_in_registration, undo_last
from checkin.services.series import (
    MAX_SESSIONS,
    SeriesAttendance,
    SeriesPerson,
    SeriesSession,
    may_see_activity,
    series_attendance,
)
from checkin.services.walk_ins import WalkIn, WalkInResult, count_anonymous_walk_ins, walk_in
from checkin.services.weekly import KindCounts, Week, WeeklyAttendance, weekly_attendance, weeks_of

__all__ = [
    "MAX_ID",
    "MAX_SESSIONS",
    "PEOPLE_COLUMNS",
    "REPORT_COLUMNS",
    "Attendee",
    "KindCounts",
    "Mark",
    "Operator",
    "Period",
    "Person",
    "PersonAttendance",
    "ReportRow",
    "ScanResult",
    "SeriesAttendance",
    "SeriesPerson",
    "SeriesSession",
    "SessionAttendance",
    "Undone",
    "WalkIn",
    "WalkInResult",
    "Week",
    "WeeklyAttendance",
    "attendance",
    "attendance_report",
    "authorize",
    "check_in",
    "check_in_registration",
    "count_anonymous_walk_ins",
    "mark_due_no_shows",
    "mark_no_shows",
    "may_check_in",
    "may_see_activity",
    "people_report",
    "report_csv",
    "report_xlsx",
    "series_attendance",
    "table_csv",
    "table_xlsx",
    "undo_last",
    "walk_in",
    "weekly_attendance",
    "weeks_of",
]
