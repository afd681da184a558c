"""The attendance report for coordinators and funders: one row per session, as CSV or XLSX.

Excel (the funder's tool) opens the CSV right: UTF-8 with a byte-order mark, and no
cell starts with ``=``, ``+``, ``-`` or ``@`` (spreadsheet formula injection). The XLSX
twin (openpyxl) has the same columns, typed numbers and a frozen header row.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query.functions import Count

from checkin.outcomes import CheckinMethod
from checkin.services._common import as_utc
from checkin.services.period import Period
from checkin.tables import Attendance, NoShow, WalkInCount
from scheduling.kinds import ActivityStatus, RegistrationStatus
from scheduling.languages import pick_text
from scheduling.tables import Registration, Session


@dataclass(frozen=True, slots=True)
class ReportRow:
    session_id: int
    activity_id: int
    kind: str
    title: str
    date: str  # local date in the activity's time zone
    start: str  # local time, HH:MM
    timezone: str
    session_status: str
    capacity: int | None
    registered: int  # confirmed registrations, walk-ins not counted
    checked_in: int  # everyone checked in, walk-ins included
    walk_ins: int
    anonymous_walk_ins: int
    no_shows: int
    attendance_total: int  # checked_in + anonymous_walk_ins


REPORT_COLUMNS = [field.name for field in fields(ReportRow)]


async def attendance_report(start: datetime, end: datetime, *, language: str) -> list[ReportRow]:
    """Sessions of published activities starting in ``[start, end)``, in time order, with their counts."""
    Period.checked(start, end)
    sessions = (
        await Session.select(
            Session.id,
            Session.activity,
            Session.starts_at,
            Session.status,
            Session.capacity,
            Session.activity.capacity.as_alias("activity_capacity"),
            Session.activity.kind.as_alias("kind"),
            Session.activity.title.as_alias("title"),
            Session.activity.timezone.as_alias("timezone"),
            Session.activity.languages.as_alias("languages"),
        )
        .where(
            Session.starts_at >= start,
            Session.starts_at < end,
            Session.activity.status == ActivityStatus.published.value,
        )
        .order_by(Session.starts_at)
        .order_by(Session.id)
        .output(load_json=True)
    )
    counts = await _counts(start, end)
    return [_row(session, counts, language) for session in sessions]


async def _counts(start: datetime, end: datetime) -> dict[str, Counter[int]]:
    """Per-session counts of everything the report shows, by session id."""

    def in_range(session: Any) -> Any:
        return (session.starts_at >= start) & (session.starts_at < end)

    registered = await (
        Registration.select(Registration.session, Count())
        .where(
            in_range(Registration.session),
            Registration.status == RegistrationStatus.confirmed.value,
            Registration.source != "walk_in",
        )
        .group_by(Registration.session)
    )
    attended = await (
        Attendance.select(Attendance.session, Attendance.method, Count())
        .where(in_range(Attendance.session))
        .group_by(Attendance.session, Attendance.method)
    )
    absent = await NoShow.select(NoShow.session, Count()).where(in_range(NoShow.session)).group_by(NoShow.session)
    heads = await WalkInCount.select(WalkInCount.session, WalkInCount.head_count).where(in_range(WalkInCount.session))
    counts: dict[str, Counter[int]] = {
        name: Counter() for name in ("registered", "checked_in", "walk_ins", "anonymous", "no_shows")
    }
    for row in registered:
        counts["registered"][row["session"]] = row["count"]
    for row in attended:
        counts["checked_in"][row["session"]] += row["count"]
        if row["method"] == CheckinMethod.walk_in.value:
            counts["walk_ins"][row["session"]] += row["count"]
    for row in absent:
        counts["no_shows"][row["session"]] = row["count"]
    for row in heads:
        counts["anonymous"][row["session"]] = row["head_count"]
    return counts


def _row(session: dict[str, Any], counts: dict[str, Counter[int]], language: str) -> ReportRow:
    local = as_utc(session["starts_at"]).astimezone(ZoneInfo(session["timezone"]))
    sid = session["id"]
    return ReportRow(
        session_id=sid,
        activity_id=session["activity"],
        kind=session["kind"],
        title=pick_text(session["title"] or {}, language, list(session["languages"] or [])),
        date=local.date().isoformat(),
        start=local.strftime("%H:%M"),
        timezone=session["timezone"],
        session_status=session["status"],
        capacity=session["capacity"] if session["capacity"] is not None else session["activity_capacity"],
        registered=counts["registered"][sid],
        checked_in=counts["checked_in"][sid],
        walk_ins=counts["walk_ins"][sid],
        anonymous_walk_ins=counts["anonymous"][sid],
        no_shows=counts["no_shows"][sid],
        attendance_total=counts["checked_in"][sid] + counts["anonymous"][sid],
    )


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return "" if value is None else value


def table_csv(columns: list[str], rows: list[Any]) -> str:
    """Dataclass rows as CSV text with a header row (prefixed with a byte-order mark for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in astuple(row)])
    return "\ufeff" + buffer.getvalue()


def table_xlsx(columns: list[str], rows: list[Any], *, title: str) -> bytes:
    """Dataclass rows as an Excel workbook with the same columns as the CSV, numbers typed."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(value) if isinstance(value, str) else value for value in astuple(row)])
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(40, max(10, width + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_csv(rows: list[ReportRow]) -> str:
    """The per-session report as CSV."""
    return table_csv(REPORT_COLUMNS, rows)


def report_xlsx(rows: list[ReportRow]) -> bytes:
    """The per-session report as an Excel workbook."""
    return table_xlsx(REPORT_COLUMNS, rows, title="Attendance")
