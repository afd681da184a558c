"""Recurrence: RFC 5545 rules expanded in the activity's own time zone.

Everything here is pure (no database). Occurrences are computed as wall-clock times
in the activity's zone, then turned into UTC instants, so a 10:00 group stays at
10:00 in Europe/Berlin across daylight-saving changes while its UTC instant moves.

A local time that falls into a daylight-saving gap is read with the offset before
the gap, as RFC 5545 (3.3.5) prescribes; only an activity's *start* may not be in a
gap, because a person typed it and most likely meant something else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

from scheduling.errors import InvalidActivity, InvalidRule, NonexistentTime

MAX_OCCURRENCES = 1000
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")
SUPPORTED_PARTS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYSETPOS", "COUNT", "UNTIL", "WKST")
_BYDAY_RE = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_RE = re.compile(r"^(\d{8})(T(\d{6})(Z)?)?$")
_LOCAL_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")


def parse_timezone(name: str) -> ZoneInfo:
    try:
        if not name or ("/" not in name and name != "UTC"):
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidActivity("timezone", f"{name!r} is not a known time zone; use e.g. Europe/Berlin") from None


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in ``zone`` as a UTC instant (fold=0: the earlier of two, gap times shift)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    """A UTC instant as a naive wall-clock time in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None)


def exists_locally(local: datetime, zone: ZoneInfo) -> bool:
    """False for wall-clock times skipped by a daylight-saving change (e.g. 02:30 on a spring-forward day)."""
    return to_local(to_utc(local, zone), zone) == local


def parse_local_start(value: str, zone: ZoneInfo) -> datetime:
    """``"2026-10-01T10:00"`` (local) or an ISO time with offset; returns the naive local time."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidActivity("start", f"{value!r} is not a date and time; write e.g. 2026-10-01T10:00") from None
    if parsed.tzinfo is not None:
        parsed = to_local(parsed, zone)
    elif not _LOCAL_RE.match(text):
        raise InvalidActivity("start", f"{value!r} needs a time of day; write e.g. 2026-10-01T10:00")
    parsed = parsed.replace(second=0, microsecond=0)
    if not exists_locally(parsed, zone):
        raise NonexistentTime(
            "start",
            f"{parsed:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks jump forward that night; "
            "choose a time outside the daylight-saving change",
        )
    return parsed


def parse_local_date(value: str, field_name: str) -> date:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise InvalidActivity(field_name, f"{value!r} is not a date; write e.g. 2026-10-29") from None


@dataclass(frozen=True, slots=True)
class Rule:
    """A validated rule: ``text`` for storage and ICS, ``until_local`` for expansion."""

    text: str
    until_local: datetime | None
    count: int | None


def _int_part(part: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise InvalidRule(part, f"{value!r} is not a whole number") from None
    if not low <= number <= high or number == 0:
        raise InvalidRule(part, f"{number} must be between {low} and {high} (and not 0)")
    return number


def parse_rule(text: str, start_local: datetime, zone: ZoneInfo) -> Rule:
    """Validate an RRULE, naming the part that is wrong; UNTIL is normalised to UTC."""
    text = text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        raise InvalidRule("FREQ", "the rule is empty; write e.g. FREQ=WEEKLY;BYDAY=TH;COUNT=12")
    parts: dict[str, str] = {}
    for chunk in text.split(";"):
        name, sep, value = chunk.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip():
            raise InvalidRule(name or "?", f"{chunk!r} should look like NAME=VALUE")
        if name not in SUPPORTED_PARTS:
            raise InvalidRule(name, f"is not supported; use {', '.join(SUPPORTED_PARTS)}")
        if name in parts:
            raise InvalidRule(name, "is given twice")
        parts[name] = value.strip().upper()
    freq = parts.get("FREQ")
    if freq is None:
        raise InvalidRule("FREQ", "is missing; use FREQ=DAILY, WEEKLY or MONTHLY")
    if freq not in FREQUENCIES:
        raise InvalidRule("FREQ", f"{freq!r} is not supported; use DAILY, WEEKLY or MONTHLY")
    if "INTERVAL" in parts:
        _int_part("INTERVAL", parts["INTERVAL"], 1, 366)
    count = _int_part("COUNT", parts["COUNT"], 1, MAX_OCCURRENCES) if "COUNT" in parts else None
    if "COUNT" in parts and "UNTIL" in parts:
        raise InvalidRule("UNTIL", "cannot be combined with COUNT; give one of them")
    for day in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []:
        match = _BYDAY_RE.match(day)
        if not match:
            raise InvalidRule("BYDAY", f"{day!r} is not a weekday; use MO, TU, WE, TH, FR, SA, SU, or e.g. 2TU, -1FR")
        if match.group(1):
            if freq != "MONTHLY":
                raise InvalidRule("BYDAY", f"{day!r}: numbered weekdays (2TU, -1FR) need FREQ=MONTHLY")
            _int_part("BYDAY", match.group(1), -5, 5)
    if "BYMONTHDAY" in parts:
        if freq != "MONTHLY":
            raise InvalidRule("BYMONTHDAY", "needs FREQ=MONTHLY")
        for value in parts["BYMONTHDAY"].split(","):
            _int_part("BYMONTHDAY", value, -31, 31)
    if "BYSETPOS" in parts:
        if "BYDAY" not in parts and "BYMONTHDAY" not in parts:
            raise InvalidRule("BYSETPOS", "needs BYDAY or BYMONTHDAY to choose from")
        for value in parts["BYSETPOS"].split(","):
            _int_part("BYSETPOS", value, -366, 366)
    if "WKST" in parts and parts["WKST"] not in WEEKDAYS:
        raise InvalidRule("WKST", f"{parts['WKST']!r} is not a weekday (MO … SU)")
    until_local = None
    if "UNTIL" in parts:
        until_local = _parse_until(parts["UNTIL"], zone)
        if until_local < start_local:
            raise InvalidRule("UNTIL", "is before the start")
        parts["UNTIL"] = to_utc(until_local, zone).strftime("%Y%m%dT%H%M%SZ")
    ordered = [f"{name}={parts[name]}" for name in SUPPORTED_PARTS if name in parts]
    rule = Rule(text=";".join(ordered), until_local=until_local, count=count)
    try:
        _dateutil_rule(rule, start_local)
    except ValueError as exc:
        raise InvalidRule("RRULE", str(exc)) from None
    return rule


def _parse_until(value: str, zone: ZoneInfo) -> datetime:
    match = _UNTIL_RE.match(value)
    if not match:
        raise InvalidRule("UNTIL", f"{value!r} is not a date; write e.g. 20261231 or 20261231T235959Z")
    try:
        day = datetime.strptime(match.group(1), "%Y%m%d")
        if match.group(3) is None:
            return datetime.combine(day.date(), time(23, 59, 59))
        moment = datetime.strptime(match.group(1) + match.group(3), "%Y%m%d%H%M%S")
    except ValueError:
        raise InvalidRule("UNTIL", f"{value!r} is not a real date") from None
    if match.group(4):  # UTC
        return to_local(moment.replace(tzinfo=UTC), zone)
    return moment


def _dateutil_rule(rule: Rule, start_local: datetime) -> rrule:
    # dateutil wants UNTIL in the same (naive, local) terms as DTSTART.
    text = ";".join(p for p in rule.text.split(";") if not p.startswith("UNTIL="))
    if rule.until_local is not None:
        text += f";UNTIL={rule.until_local:%Y%m%dT%H%M%S}"
    result = rrulestr(text, dtstart=start_local)
    assert isinstance(result, rrule)
    return result


@dataclass(frozen=True, slots=True)
class Schedule:
    """When an activity takes place: a start, a duration and an optional rule."""

    zone: ZoneInfo
    start_local: datetime
    duration: timedelta
    rule: Rule | None = None
    exdates: frozenset[date] = field(default_factory=frozenset)
    rdates: tuple[datetime, ...] = ()

    def local_starts(self, until_local: datetime | None = None, *, apply_exdates: bool = True) -> Iterable[datetime]:
        """Wall-clock starts in order, up to and including ``until_local``.

        With ``apply_exdates=False`` the excluded dates are included: the set an ICS
        reader builds from RRULE and RDATE before it applies EXDATE.
        """
        extra = sorted(d for d in self.rdates if until_local is None or d <= until_local)
        if self.rule is None:
            base: Iterable[datetime] = [self.start_local]
        else:
            base = _dateutil_rule(self.rule, self.start_local)
        seen: set[datetime] = set()
        emitted = 0
        for local in _merge(base, extra):
            if until_local is not None and local > until_local:
                break
            if local in seen or (apply_exdates and local.date() in self.exdates):
                continue
            seen.add(local)
            emitted += 1
            if emitted > MAX_OCCURRENCES * 10:
                break
            yield local

    def occurrences(self, until: datetime | None = None) -> list[tuple[datetime, datetime]]:
        """(starts_at, ends_at) UTC instants, up to ``until`` (a UTC instant) or the rule's end."""
        until_local = to_local(until, self.zone) if until is not None else None
        if until_local is None and self.is_open_ended:
            raise ValueError("an open-ended series needs an 'until'")
        result = []
        for local in self.local_starts(until_local):
            starts = to_utc(local, self.zone)
            result.append((starts, starts + self.duration))
        return result

    @property
    def is_open_ended(self) -> bool:
        return self.rule is not None and self.rule.count is None and self.rule.until_local is None

    def first_local_start(self) -> datetime | None:
        return next(iter(self.local_starts()), None)


def _merge(base: Iterable[datetime], extra: list[datetime]) -> Iterable[datetime]:
    """Merge two ascending streams of datetimes."""
    pending = list(extra)
    for item in base:
        while pending and pending[0] <= item:
            yield pending.pop(0)
        yield item
    yield from pending


def build_schedule(
    *,
    timezone: str,
    start: str,
    duration_minutes: int,
    rrule_text: str | None,
    exdates: Iterable[str] = (),
    rdates: Iterable[str] = (),
) -> Schedule:
    """Validate the parts of a schedule and put them together.

    A start that does not match the rule (a Wednesday start for a Thursday group) is
    moved to the rule's first date, so DTSTART is always the first session.
    """
    zone = parse_timezone(timezone)
    start_local = parse_local_start(start, zone)
    if duration_minutes <= 0 or duration_minutes > 24 * 60:
        raise InvalidActivity("duration_minutes", "must be between 1 and 1440 minutes")
    rule = parse_rule(rrule_text, start_local, zone) if rrule_text else None
    excluded = frozenset(parse_local_date(value, "exdates") for value in exdates)
    extra = tuple(sorted(parse_local_start(value, zone) for value in rdates))
    schedule = Schedule(zone, start_local, timedelta(minutes=duration_minutes), rule, excluded, extra)
    if rule is not None:
        first_rule_date = next(iter(_dateutil_rule(rule, start_local)), None)
        if first_rule_date is None and not extra:
            raise InvalidActivity("rrule", "the rule gives no date at all; check BYDAY, COUNT and UNTIL")
        if first_rule_date is not None and first_rule_date != start_local:
            schedule = Schedule(zone, first_rule_date, schedule.duration, rule, excluded, extra)
    if schedule.first_local_start() is None:
        raise InvalidActivity("exdates", "every date of the series is excluded")
    return schedule
