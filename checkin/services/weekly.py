"""Attendance over time: per week, registered vs attended vs walk-ins, by activity kind.

Built from the per-session report rows, so the chart, its table and the CSV always agree.
``registered`` counts confirmed registrations made before the door (as in the report);
``attended`` those of them who were checked in; ``walk_ins`` people who came without
registering, named at the door or counted anonymously. Weeks run Monday to Sunday by the
sessions' local dates; weeks without sessions are kept, so time runs evenly on the chart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from checkin.services.period import Period
from checkin.services.reports import ReportRow, attendance_report
from scheduling.kinds import ActivityKind


@dataclass(frozen=True, slots=True)
class KindCounts:
    sessions: int = 0
    registered: int = 0
    attended: int = 0
    walk_ins: int = 0


@dataclass(frozen=True, slots=True)
class Week:
    starts_on: date  # the Monday
    sessions: int
    registered: int
    attended: int
    walk_ins: int
    by_kind: dict[str, KindCounts] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """ISO week, e.g. ``2026-W07``: short, and the same in every language."""
        year, week, _ = self.starts_on.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class WeeklyAttendance:
    period: Period
    kind: str | None  # the kind asked for, or None for all
    weeks: list[Week]
    totals: dict[str, KindCounts]  # per kind over the whole period (kinds with sessions only)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks_of(rows: list[ReportRow], first: date, last: date, kind: str | None = None) -> list[Week]:
    """One :class:`Week` per week from ``first``'s to ``last``'s, with the rows' counts (pure)."""
    buckets: dict[date, dict[str, Counter[str]]] = {}
    for row in rows:
        if kind is not None and row.kind != kind:
            continue
        counts = buckets.setdefault(monday(date.fromisoformat(row.date)), {}).setdefault(row.kind, Counter())
        counts["sessions"] += 1
        counts["registered"] += row.registered
        counts["attended"] += row.checked_in - row.walk_ins
        counts["walk_ins"] += row.walk_ins + row.anonymous_walk_ins
    weeks = []
    day = monday(first)
    while day <= last:
        by_kind = {
            name: KindCounts(**counts)
            for name, counts in sorted(buckets.get(day, {}).items(), key=lambda item: _kind_order(item[0]))
        }
        weeks.append(
            Week(
                starts_on=day,
                sessions=sum(c.sessions for c in by_kind.values()),
                registered=sum(c.registered for c in by_kind.values()),
                attended=sum(c.attended for c in by_kind.values()),
                walk_ins=sum(c.walk_ins for c in by_kind.values()),
                by_kind=by_kind,
            )
        )
        day += timedelta(days=7)
    return weeks


def totals_of(weeks: list[Week]) -> dict[str, KindCounts]:
    sums: dict[str, Counter[str]] = {}
    for week in weeks:
        for name, counts in week.by_kind.items():
            total = sums.setdefault(name, Counter())
            for key in ("sessions", "registered", "attended", "walk_ins"):
                total[key] += getattr(counts, key)
    return {name: KindCounts(**sums[name]) for name in sorted(sums, key=_kind_order)}


def _kind_order(kind: str) -> int:
    order = [k.value for k in ActivityKind]
    return order.index(kind) if kind in order else len(order)


async def weekly_attendance(
    period: Period, *, timezone: str, language: str, kind: str | None = None
) -> WeeklyAttendance:
    """The weeks of ``period`` (local dates in ``timezone``) with their counts."""
    rows = await attendance_report(period.start, period.end, language=language)
    zone = ZoneInfo(timezone)
    first = period.start.astimezone(zone).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(zone).date()
    weeks = weeks_of(rows, first, last, kind)
    return WeeklyAttendance(period=period, kind=kind, weeks=weeks, totals=totals_of(weeks))
