"""The rules of the door, as plain async functions (the API, the door page and jobs call these)."""

from checkin.services._common import MAX_ID, Operator, Person, authorize, may_check_in
from checkin.services.attendance import Attendee, SessionAttendance, attendance, mark_due_no_shows, mark_no_shows
from checkin.services.reports import REPORT_COLUMNS, ReportRow, attendance_report, report_csv, report_xlsx
from checkin.services.scans import ScanResult, Undone, check_in, check_in_registration, undo_last
from checkin.services.walk_ins import WalkIn, WalkInResult, count_anonymous_walk_ins, walk_in

__all__ = [
    "MAX_ID",
    "REPORT_COLUMNS",
    "Attendee",
    "Operator",
    "Person",
    "ReportRow",
    "ScanResult",
    "SessionAttendance",
    "Undone",
    "WalkIn",
    "WalkInResult",
    "attendance",
    "attendance_report",
    "authorize",
    "check_in",
    "check_in_registration",
    "count_anonymous_walk_ins",
    "mark_due_no_shows",
    "mark_no_shows",
    "may_check_in",
    "report_csv",
    "report_xlsx",
    "undo_last",
    "walk_in",
]
