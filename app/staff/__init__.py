"""The staff workspace beyond the dashboard: activities with the recurrence builder, a session's roster."""

from app.staff.activity_pages import StaffActivityPages
from app.staff.roster_pages import StaffSessionPages

__all__ = ["StaffActivityPages", "StaffSessionPages"]
