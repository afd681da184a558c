"""The funder report for a period: participants by indicator, sessions and hours, company visits.

A period is two dates, both included, in the project's time zone (``TREFFPUNKT_TIMEZONE``).

- **Entries**: people whose profile's entry date lies in the period, counted by every
  entry field (age band, gender, ...), each with a "not recorded" line, so every table
  adds up to the number of entries. **Exits** likewise by the exit fields.
- People who were erased count from the anonymous monthly tallies
  (:mod:`app.funder.erasure`) in every period that covers their whole month of entry
  (or exit): for periods made of whole months, which is how the funder asks, erasure
  changes no number.
- **Sessions held**: sessions of published activities that started in the period, were
  not cancelled and are over, with their hours, by kind of activity.
- **Company visits**: company-visit sessions held, the distinct employers behind them,
  and the people checked in at them.

``shared`` (the default) hides small counts (:mod:`app.funder.suppression`); the
internal view shows every number and is marked as not for sharing.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.funder.config import current_definition
from app.funder.crypto import ProfileUnreadable, decrypt_json
from app.funder.definition import ProfileField, localized
from app.funder.erasure import PEOPLE, month_of
from app.funder.errors import InvalidPeriod
from app.funder.suppression import shown, suppress
from app.funder.tables import FunderProfile, FunderTally
from app.i18n import translations
from app.pages import KIND_LABELS
from app.settings import get_settings
from checkin.tables import Attendance
from scheduling.kinds import ActivityKind, ActivityStatus, SessionStatus
from scheduling.services._common import as_utc, utcnow
from scheduling.tables import Session


def N_(message: str) -> str:
    return message


LABELS = {
    "title": N_("Report to the funder"),
    "period": N_("Period"),
    "view_shared": N_("For sharing: counts from 1 to 4 are shown as <5"),
    "view_internal": N_("Internal: all counts shown. Not for sharing outside the project."),
    "entries": N_("Entries in the period"),
    "exits": N_("Exits in the period"),
    "not_recorded": N_("not recorded"),
    "people": N_("People"),
    "total": N_("Total"),
    "sessions": N_("Sessions held and hours by kind of activity"),
    "kind": N_("Kind of activity"),
    "sessions_held": N_("Sessions held"),
    "hours": N_("Hours"),
    "visits": N_("Company visits"),
    "figure": N_("Figure"),
    "number": N_("Number"),
    "visits_held": N_("Company visits held"),
    "employers": N_("Employers involved"),
    "visitors": N_("People checked in at company visits"),
}


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # included

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as UTC instants ``[start, end)``."""
        begin = datetime.combine(self.start, time(0), tzinfo=zone).astimezone(UTC)
        until = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        return begin, until

    def covers_month(self, month: date) -> bool:
        last = (month_of(month) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return self.start <= month and last <= self.end


def parse_period(start: str | None, end: str | None) -> Period:
    """``from`` and ``to`` as ``YYYY-MM-DD``, both included."""
    if not start:
        raise InvalidPeriod(N_("Give the first day of the period: ?from=2026-01-01"), "from")
    if not end:
        raise InvalidPeriod(N_("Give the last day of the period: ?to=2026-03-31"), "to")
    days = []
    for name, value in (("from", start), ("to", end)):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidPeriod(N_("%(value)s is not a date; write e.g. 2026-01-31."), name, value=value[:40]) from None
        if not 1970 <= day.year <= 2199:
            raise InvalidPeriod(N_("Give a date between 1970 and 2199."), name)
        days.append(day)
    if days[1] < days[0]:
        raise InvalidPeriod(N_("The last day comes before the first day."), "to")
    if (days[1] - days[0]).days > 3700:
        raise InvalidPeriod(N_("A report covers at most ten years."), "to")
    return Period(days[0], days[1])


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    values: list[int | float | str]
    people: bool = False  # a count of people: suppressed when small
    code: str = ""  # the coded value behind the line, when there is one


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    title: str
    columns: list[str]  # the first names the row label
    rows: list[Row]
    total: Row | None = None
    grouped: bool = False  # the rows add up to the total (secondary suppression applies)


@dataclass(frozen=True, slots=True)
class FunderReport:
    period: Period
    shared: bool
    language: str
    tables: list[Table] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


# --- counting ---------------------------------------------------------------------------------


@dataclass
class _Stage:
    people: int = 0
    codes: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, field_key: str, code: str, count: int = 1) -> None:
        self.codes.setdefault(field_key, Counter())[code] += count


async def _count_stage(stage: str, period: Period) -> _Stage:
    column = FunderProfile.entry_date if stage == "entry" else FunderProfile.exit_date
    counted = _Stage()
    rows = await FunderProfile.select(FunderProfile.values_encrypted).where(
        column >= period.start, column <= period.end
    )
    for row in rows:
        counted.people += 1
        try:
            values = decrypt_json(row["values_encrypted"]) if row["values_encrypted"] else {}
        except ProfileUnreadable:
            values = {}
        for key, code in values.items():
            counted.add(key, code)
    for tally in await FunderTally.select().where(
        FunderTally.stage == stage, FunderTally.month >= period.start, FunderTally.month <= period.end
    ):
        month = tally["month"] if isinstance(tally["month"], date) else date.fromisoformat(str(tally["month"]))
        if not period.covers_month(month) or not tally["amount"]:
            continue
        if tally["field_key"] == PEOPLE:
            counted.people += tally["amount"]
        else:
            counted.add(tally["field_key"], tally["code"], tally["amount"])
    return counted


def _indicator_table(spec: ProfileField, counted: _Stage, total_label: str, lang: str, tr: Any) -> Table:
    codes = counted.codes.get(spec.key, Counter())
    rows = [Row(spec.option_label(code, lang), [codes[code]], people=True, code=code) for code in spec.codes]
    rows += [
        Row(code, [count], people=True, code=code) for code, count in sorted(codes.items()) if code not in spec.codes
    ]
    recorded = sum(codes.values())
    rows.append(Row(tr(LABELS["not_recorded"]), [max(0, counted.people - recorded)], people=True))
    return Table(
        key=f"{spec.stage}:{spec.key}",
        title=localized(spec.label, lang),
        columns=[localized(spec.label, lang), tr(LABELS["people"])],
        rows=rows,
        total=Row(total_label, [counted.people], people=True),
        grouped=True,
    )


async def _sessions_held(period: Period, zone: ZoneInfo, now: datetime) -> list[dict[str, Any]]:
    begin, until = period.bounds(zone)
    return await Session.select(
        Session.id,
        Session.starts_at,
        Session.ends_at,
        Session.activity.kind.as_alias("kind"),
        Session.activity.employer.as_alias("employer"),
    ).where(
        Session.starts_at >= begin,
        Session.starts_at < until,
        Session.ends_at <= now,
        Session.status == SessionStatus.scheduled.value,
        Session.activity.status == ActivityStatus.published.value,
    )


def _hours(session: dict[str, Any]) -> float:
    return (as_utc(session["ends_at"]) - as_utc(session["starts_at"])).total_seconds() / 3600


async def build_report(period: Period, *, shared: bool = True, language: str | None = None) -> FunderReport:
    settings = get_settings()
    lang = language or settings.default_language
    catalog = translations(lang)
    tr: Callable[[str], str] = catalog.gettext
    definition = current_definition()
    tables: list[Table] = []
    for stage, total_key in (("entry", "entries"), ("exit", "exits")):
        counted = await _count_stage(stage, period)
        total_label = tr(LABELS[total_key])
        specs = definition.at_stage(stage)
        if not specs:
            tables.append(
                Table(
                    stage,
                    total_label,
                    [tr(LABELS["figure"]), tr(LABELS["people"])],
                    [],
                    Row(total_label, [counted.people], people=True),
                )
            )
        for spec in specs:
            tables.append(_indicator_table(spec, counted, total_label, lang, tr))

    zone = ZoneInfo(settings.timezone)
    held = await _sessions_held(period, zone, utcnow())
    by_kind: dict[str, list[float]] = {kind.value: [0, 0.0] for kind in ActivityKind}
    for session in held:
        by_kind[session["kind"]][0] += 1
        by_kind[session["kind"]][1] += _hours(session)
    tables.append(
        Table(
            key="sessions",
            title=tr(LABELS["sessions"]),
            columns=[tr(LABELS["kind"]), tr(LABELS["sessions_held"]), tr(LABELS["hours"])],
            rows=[
                Row(tr(KIND_LABELS[kind]), [int(counts[0]), round(counts[1], 1)], code=kind)
                for kind, counts in by_kind.items()
            ],
            total=Row(
                tr(LABELS["total"]),
                [len(held), round(sum(counts[1] for counts in by_kind.values()), 1)],
            ),
        )
    )
    visits = [s for s in held if s["kind"] == ActivityKind.company_visit.value]
    visit_ids = [s["id"] for s in visits] or [-1]
    visitors = await Attendance.count().where(Attendance.session.is_in(visit_ids)) if visits else 0
    tables.append(
        Table(
            key="visits",
            title=tr(LABELS["visits"]),
            columns=[tr(LABELS["figure"]), tr(LABELS["number"])],
            rows=[
                Row(tr(LABELS["visits_held"]), [len(visits)], code="visits_held"),
                Row(tr(LABELS["employers"]), [len({s["employer"] for s in visits if s["employer"]})], code="employers"),
                Row(tr(LABELS["visitors"]), [visitors], people=True, code="visitors"),
            ],
        )
    )
    labels = {key: tr(text) for key, text in LABELS.items()}
    report = FunderReport(period=period, shared=shared, language=lang, tables=tables, labels=labels)
    return apply_suppression(report) if shared else report


def apply_suppression(report: FunderReport) -> FunderReport:
    """The same report with small counts of people replaced by "<5" (see the rule there)."""
    tables = []
    for table in report.tables:
        total: Row | None
        if table.grouped and table.total is not None:
            counts = [int(row.values[0]) for row in table.rows]
            hide = suppress(counts, int(table.total.values[0]))
            rows = [
                Row(row.label, [shown(int(row.values[0]), hidden)], row.people, row.code)
                for row, hidden in zip(table.rows, hide.cells, strict=True)
            ]
            total = Row(table.total.label, [shown(int(table.total.values[0]), hide.total)], True, table.total.code)
        else:
            rows = [_alone(row) for row in table.rows]
            total = _alone(table.total) if table.total is not None else None
        tables.append(Table(table.key, table.title, table.columns, rows, total, table.grouped))
    return FunderReport(report.period, report.shared, report.language, tables, report.labels)


def _alone(row: Row) -> Row:
    """A count standing on its own (no total to recover it from): primary suppression only."""
    if not row.people:
        return row
    return Row(row.label, [shown(int(v), suppress([int(v)]).total) for v in row.values], row.people, row.code)


# --- files ------------------------------------------------------------------------------------


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def report_lines(report: FunderReport) -> list[list[object]]:
    """The report as rows of one sheet: a heading block, then each table after a blank line."""
    labels = report.labels
    lines: list[list[object]] = [
        [labels["title"]],
        [labels["period"], report.period.start.isoformat(), report.period.end.isoformat()],
        [labels["view_shared"] if report.shared else labels["view_internal"]],
    ]
    for table in report.tables:
        lines.append([])
        lines.append([table.title])
        lines.append(list(table.columns))
        for row in table.rows:
            lines.append([row.label, *row.values])
        if table.total is not None:
            lines.append([table.total.label, *table.total.values])
    return [[_cell(value) for value in line] for line in lines]


def report_csv(report: FunderReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(report_lines(report))
    return "\ufeff" + buffer.getvalue()


def report_xlsx(report: FunderReport) -> bytes:
    """One sheet per table, after a first sheet naming the period and the view."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    labels = report.labels
    workbook = Workbook()
    cover = workbook.active
    assert cover is not None
    cover.title = labels["period"][:31]
    cover.append([labels["title"]])
    cover["A1"].font = Font(bold=True)
    cover.append([labels["period"], report.period.start.isoformat(), report.period.end.isoformat()])
    cover.append([labels["view_shared"] if report.shared else labels["view_internal"]])
    cover.column_dimensions["A"].width = 30
    used: set[str] = {cover.title}
    for table in report.tables:
        title = _sheet_title(table.title, used)
        sheet = workbook.create_sheet(title)
        sheet.append([_cell(c) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_cell(row.label), *row.values])
        if table.total is not None:
            sheet.append([_cell(table.total.label), *table.total.values])
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        sheet.column_dimensions["A"].width = min(60, max([20, *(len(str(r.label)) + 2 for r in table.rows)]))
        for letter in "BC":
            sheet.column_dimensions[letter].width = 16
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()[:31] or "Sheet"
    name, number = clean, 2
    while name in used:
        suffix = f" ({number})"
        name, number = clean[: 31 - len(suffix)] + suffix, number + 1
    used.add(name)
    return name


async def report_for(user_id: int, period: Period, *, shared: bool, language: str | None = None) -> FunderReport:
    """The report as a staff member asks for it; the internal (unsuppressed) view is audited."""
    from app.privacy.services import audit

    report = await build_report(period, shared=shared, language=language)
    action = "report.funder" if shared else "report.funder_internal"
    await audit(user_id, action, f"period:{period.start.isoformat()}..{period.end.isoformat()}")
    return report


def report_filename(report: FunderReport) -> str:
    view = "shared" if report.shared else "internal"
    return f"funder-report-{report.period.start.isoformat()}-{report.period.end.isoformat()}-{view}"
