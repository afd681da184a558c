"""Staff pages for attendance: ``/staff/reports`` (coordinators) and ``/staff/activities/{id}/attendance``.

Server-rendered, no JavaScript: a period picker is a GET form, the chart is SVG built by
``checkin.charts``, every number of the chart is also in a table. Downloads are served here
under ``/staff/reports/…`` with the staff session cookie, from the same functions as the
``/api/v1/reports/…`` downloads. The rules live in ``checkin.services``.

Dates in the forms are whole local days, both included (``to=2026-11-30`` counts that day);
the services take ``[start, end)`` instants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton
from babel.numbers import format_percent
from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template

from app.auth.guards import require_coordinator, require_staff
from app.formatting import KIND_ICONS, babel_locale
from app.i18n import translations
from app.pages import KIND_LABELS, N_, gettext_functions, render, request_language
from app.settings import get_settings
from checkin import charts, services
from checkin.controllers import audit_read, operator, people_download, sessions_download
from checkin.services.period import MAX_PERIOD
from scheduling.kinds import ActivityKind

AnyRequest = Request[Any, Any, Any]
DEFAULT_WEEKS = 12
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 1), date(2199, 12, 31)  # beyond: a typing mistake, not a report
FromDay = Annotated[str, QueryParameter(name="from", description="First day, YYYY-MM-DD")]
ToDay = Annotated[str, QueryParameter(name="to", description="Last day (included), YYYY-MM-DD")]

PERIOD_ERRORS = {
    "date": N_("Please give a date, for example 2026-10-01."),
    "reversed": N_("The end date is before the start date."),
    "too_long": N_("Please choose a period of at most three years."),
}
MARKS: dict[services.Mark, tuple[str, str]] = {  # symbol, word: a mark never relies on colour alone
    services.Mark.present: ("✓", N_("Present")),
    services.Mark.no_show: ("✗", N_("No-show")),
    services.Mark.excused: ("−", N_("Excused (cancelled in time)")),
    services.Mark.cancelled: ("⊘", N_("Session cancelled")),
    services.Mark.upcoming: ("○", N_("Expected")),
    services.Mark.waitlisted: ("⋯", N_("Waiting list")),
    services.Mark.not_registered: ("", N_("Not registered")),
}
SERIES = (  # the chart's bars, in order
    ("registered", N_("Registered"), "outline"),
    ("attended", N_("Attended"), "solid"),
    ("walk_ins", N_("Walk-ins"), "hatched"),
)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass
class PeriodForm:
    """The period picker: what was typed (kept on error), the checked period, and errors by field."""

    start_text: str
    end_text: str
    errors: dict[str, str] = field(default_factory=dict)
    first: date | None = None
    last: date | None = None

    @classmethod
    def read(
        cls, start: str, end: str, zone: ZoneInfo, *, default_first: date | None, default_last: date | None
    ) -> PeriodForm:
        form = cls(start.strip()[:40], end.strip()[:40])
        form.first = form._date("from", form.start_text, default_first)
        form.last = form._date("to", form.end_text, default_last)
        if form.first and form.last and not form.errors:
            if form.last < form.first:
                form.errors["to"] = "reversed"
            elif form.period_end(zone) - form.period_start(zone) > MAX_PERIOD:
                form.errors["to"] = "too_long"
        return form

    def _date(self, name: str, text: str, default: date | None) -> date | None:
        if not text:
            return default
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
        if day is None or not EARLIEST_DAY <= day <= LATEST_DAY:
            self.errors[name] = "date"
            return None
        return day

    def period_start(self, zone: ZoneInfo) -> datetime:
        assert self.first is not None
        return _local_midnight(self.first, zone)

    def period_end(self, zone: ZoneInfo) -> datetime:
        assert self.last is not None
        return _local_midnight(self.last + timedelta(days=1), zone)

    @property
    def query(self) -> str:
        """``from=…&to=…`` for links that keep this period."""
        return f"from={self.first.isoformat() if self.first else ''}&to={self.last.isoformat() if self.last else ''}"


def default_report_days(zone: ZoneInfo, now: datetime | None = None) -> tuple[date, date]:
    """The last twelve whole weeks (Monday to Sunday), this week included."""
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=DEFAULT_WEEKS - 1), monday + timedelta(days=6)


class Words:
    """The request's language: gettext and Babel formatting."""

    def __init__(self, request: AnyRequest) -> None:
        self.lang = request_language(request)
        self.gettext: Callable[..., str] = gettext_functions(translations(self.lang))[0]
        self.locale = babel_locale(self.lang)

    def short_day(self, day: date) -> str:
        return format_skeleton("MMMd", day, locale=self.locale)

    def day(self, day: date) -> str:
        return format_date(day, format="medium", locale=self.locale)

    def percent(self, rate: float | None) -> str:
        return format_percent(rate, locale=self.locale) if rate is not None else "–"

    def errors(self, form: PeriodForm) -> dict[str, str]:
        return {name: self.gettext(PERIOD_ERRORS[key]) for name, key in form.errors.items()}


def _kind(value: str) -> str | None:
    return value if value in {k.value for k in ActivityKind} else None


class ReportPages(Controller):
    """``/staff/reports``: attendance over time for coordinators and admins, with the downloads."""

    path = "/staff/reports"
    include_in_schema = False
    guards = [require_coordinator]

    @get("/")
    async def show(
        self, request: AnyRequest, start: FromDay = "", end: ToDay = "", kind: FromQuery[str] = ""
    ) -> Template:
        words = Words(request)
        settings = get_settings()
        zone = ZoneInfo(settings.timezone)
        first, last = default_report_days(zone)
        form = PeriodForm.read(start, end, zone, default_first=first, default_last=last)
        chosen_kind = _kind(kind)
        context: dict[str, Any] = {
            "form": form,
            "errors": words.errors(form),
            "kind": chosen_kind or "",
            "kinds": [(k.value, words.gettext(KIND_LABELS[k.value]), KIND_ICONS[k.value]) for k in ActivityKind],
            "series": [(words.gettext(label), style, charts.swatch(style)) for _, label, style in SERIES],
        }
        if form.errors:
            return render(request, "staff/reports.html", status_code=400, weekly=None, **context)
        period = services.Period.checked(form.period_start(zone), form.period_end(zone))
        weekly = await services.weekly_attendance(
            period, timezone=settings.timezone, language=words.lang, kind=chosen_kind
        )
        return render(
            request,
            "staff/reports.html",
            weekly=weekly,
            chart=self.chart(words, form, weekly),
            kind_charts=self.kind_charts(words, form, weekly),
            weeks=[
                {
                    "label": words.day(week.starts_on),
                    "iso": week.label,
                    "sessions": week.sessions,
                    "registered": week.registered,
                    "attended": week.attended,
                    "walk_ins": week.walk_ins,
                }
                for week in weekly.weeks
            ],
            totals=[
                (name, words.gettext(KIND_LABELS.get(name, name)), KIND_ICONS.get(name, ""), counts)
                for name, counts in weekly.totals.items()
            ],
            first_day=words.day(form.first) if form.first else "",
            last_day=words.day(form.last) if form.last else "",
            **context,
        )

    @staticmethod
    def chart(words: Words, form: PeriodForm, weekly: services.WeeklyAttendance, kind: str | None = None) -> Any:
        """The weekly bars of one kind of activity (``kind``), else of the kind asked for, else of all kinds."""
        kind = kind or weekly.kind
        counts = [week.by_kind.get(kind, services.KindCounts()) if kind else week for week in weekly.weeks]
        total = {
            key: sum(getattr(c, key) for c in counts) for key in ("sessions", "registered", "attended", "walk_ins")
        }
        kind_name = words.gettext(KIND_LABELS.get(kind, kind)) if kind else words.gettext(N_("all kinds"))
        return charts.bar_chart(
            chart_id=f"chart-{kind or 'all'}",
            title=words.gettext(N_("Attendance per week (%(kind)s)"), kind=kind_name),
            description=words.gettext(
                N_(
                    "Bars per week from %(first)s to %(last)s. In all: %(sessions)s sessions, %(registered)s people "
                    "registered, %(attended)s of them attended, and %(walk_ins)s came without registering. "
                    "The table below has every number."
                ),
                first=words.day(form.first) if form.first else "",
                last=words.day(form.last) if form.last else "",
                **total,
            ),
            categories=[words.short_day(week.starts_on) for week in weekly.weeks],
            series=[charts.BarSeries(words.gettext(label), style) for _, label, style in SERIES],
            values=[[c.registered, c.attended, c.walk_ins] for c in counts],
            empty_text=words.gettext(N_("Nobody was expected in this period.")),
            axis_label=words.gettext(N_("People")),
        )

    @staticmethod
    def kind_charts(words: Words, form: PeriodForm, weekly: services.WeeklyAttendance) -> list[dict[str, Any]]:
        """With all kinds shown and more than one kind held: one chart per kind, each with its own table."""
        if weekly.kind or len(weekly.totals) < 2:
            return []
        return [
            {
                "kind": kind,
                "label": words.gettext(KIND_LABELS.get(kind, kind)),
                "icon": KIND_ICONS.get(kind, ""),
                "chart": ReportPages.chart(words, form, weekly, kind),
                "weeks": [
                    (words.day(week.starts_on), week.label, week.by_kind.get(kind, services.KindCounts()))
                    for week in weekly.weeks
                ],
            }
            for kind in weekly.totals
        ]

    @get(["/attendance.csv", "/attendance.xlsx", "/people.csv", "/people.xlsx"])
    async def download(self, request: AnyRequest, start: FromDay = "", end: ToDay = "") -> Response[Any]:
        """The reports of the period shown on the page, as the API serves them."""
        zone = ZoneInfo(get_settings().timezone)
        first, last = default_report_days(zone)
        form = PeriodForm.read(start, end, zone, default_first=first, default_last=last)
        if form.errors:
            words = Words(request)
            name, text = next(iter(words.errors(form).items()))
            return Response({"status_code": 400, "detail": text, "extra": {"field": name}}, status_code=400)
        period = services.Period.checked(form.period_start(zone), form.period_end(zone))
        stem, _, kind = request.url.path.rpartition("/")[2].partition(".")
        if stem == "people":
            return await people_download(request, period, kind)
        return await sessions_download(period, kind)


class AttendancePages(Controller):
    """``/staff/activities/{id}/attendance``: people by sessions of one series; facilitators too where
    ``scheduling.access`` lets them (assigned to the activity, or nobody is)."""

    path = "/staff/activities/{activity_id:int}/attendance"
    include_in_schema = False
    guards = [require_staff]

    @get("/")
    async def show(
        self, request: AnyRequest, activity_id: FromPath[int], start: FromDay = "", end: ToDay = ""
    ) -> Template:
        words = Words(request)
        zone = ZoneInfo(get_settings().timezone)
        form = PeriodForm.read(start, end, zone, default_first=None, default_last=None)
        by = operator(request)
        errors = words.errors(form)
        summary = await services.series_attendance(
            activity_id,
            by=by,
            start=form.period_start(zone) if form.first and not errors else None,
            end=form.period_end(zone) if form.last and not errors else None,
            language=words.lang,
        )
        await audit_read(request, "attendance.read", f"activity:{activity_id}")
        marks = {mark: (symbol, words.gettext(word)) for mark, (symbol, word) in MARKS.items()}
        return render(
            request,
            "staff/attendance.html",
            status_code=400 if errors else 200,
            form=form,
            errors=errors,
            summary=summary,
            icon=KIND_ICONS.get(summary.kind, ""),
            marks=marks,
            legend=[(mark.value, *marks[mark]) for mark in MARKS],
            sessions=[
                {
                    "id": s.id,
                    "day": words.short_day(date.fromisoformat(s.local_date)),
                    "full_day": words.day(date.fromisoformat(s.local_date)),
                    "time": s.local_time,
                    "cancelled": s.status == "cancelled",
                    "present": s.present,
                }
                for s in summary.sessions
            ],
            people=[
                {
                    "name": p.name,
                    "marks": [m.value for m in p.marks],
                    "present": p.present,
                    "expected": p.present + p.no_shows,
                    "rate": words.percent(p.rate),
                }
                for p in summary.people
            ],
            last_shown=summary.sessions[-1].local_date if summary.sessions else "",
        )
