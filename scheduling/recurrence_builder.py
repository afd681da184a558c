"""The recurrence builder: "every Thursday, 10:00 to 14:00" in words instead of a raw RRULE.

Staff fill in a few plain fields (see :class:`WhenForm`); :func:`parse_when` checks them
and gives a :class:`When`, which knows its RRULE, its local start, its duration and its
skipped dates (what :func:`scheduling.recurrence.build_schedule` and the activity
services take), and :func:`describe` says it in words in the reader's language.
:func:`form_from_schedule` goes the other way, to fill the edit form of a stored series.

Patterns:

- ``once``: a single date;
- ``weekly``: every N weeks (N = 1: every week) on one or more weekdays;
- ``monthly``: on the Nth (1st … 4th, or last) given weekday of every month.

A series ends on a date (``until``), after a number of sessions (``count``), or never
(``open``: sessions are created a year ahead and the horizon moves on daily).

Nothing here touches the database. Error texts are English source strings for gettext;
callers translate them (the page shows them next to the field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from babel import Locale
from babel.dates import format_skeleton, format_time
from babel.lists import format_list

from scheduling.recurrence import MAX_OCCURRENCES, WEEKDAYS, Schedule, to_local


def N_(message: str) -> str:
    """Marks a string for extraction; translated where it is shown."""
    return message


PATTERNS = ("once", "weekly", "monthly")
ENDS = ("until", "count", "open")
MONTH_WEEKS = (1, 2, 3, 4, -1)  # -1: the last one of the month
MAX_INTERVAL = 52
MAX_SKIPPED = 200

# Error messages, keyed by the form field they belong to (one message per field).
ERRORS = {
    "pattern": N_("Choose how often it takes place."),
    "weekdays": N_("Tick at least one weekday."),
    "interval": N_("Write a number of weeks between 1 and 52."),
    "month_week": N_("Choose which week of the month."),
    "month_weekday": N_("Choose a weekday."),
    "start_date": N_("Write the first date, for example 2026-10-01."),
    "start_time": N_("Write the start time, for example 10:00."),
    "end_time": N_("Write the end time, for example 14:00."),
    "end_before_start": N_("The end time must be after the start time."),
    "end": N_("Choose how the series ends."),
    "until": N_("Write the last date, for example 2026-12-17."),
    "until_before_start": N_("The last date must not be before the first date."),
    "count": N_("Write how many times, from 1 to 1000."),
    "skipped": N_("Write skipped dates like 2026-10-29, one per line."),
}

WEEKDAY_ORDINALS = {
    1: N_("on the first %(weekday)s of every month"),
    2: N_("on the second %(weekday)s of every month"),
    3: N_("on the third %(weekday)s of every month"),
    4: N_("on the fourth %(weekday)s of every month"),
    -1: N_("on the last %(weekday)s of every month"),
}


class WhenErrors(Exception):
    """The form has mistakes: ``errors`` maps a form field to its (untranslated) message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{name}: {text}" for name, text in errors.items()))
        self.errors = errors


@dataclass
class WhenForm:
    """The "when" part of the activity form, as typed (plain strings: a form never fails to parse)."""

    pattern: str = "weekly"
    weekdays: list[str] = field(default_factory=list)  # MO … SU
    interval: str = "1"
    month_week: str = "1"
    month_weekday: str = ""
    start_date: str = ""
    start_time: str = ""
    end_time: str = ""
    end: str = "until"
    until: str = ""
    count: str = ""
    skipped: str = ""  # dates, one per line (commas and spaces also separate)


@dataclass(frozen=True, slots=True)
class When:
    """A checked recurrence, ready for the activity services."""

    pattern: str
    start_date: date
    start_time: time
    end_time: time
    weekdays: tuple[str, ...] = ()
    interval: int = 1
    month_week: int = 1
    month_weekday: str = ""
    until: date | None = None
    count: int | None = None
    skipped: tuple[date, ...] = ()

    @property
    def start_local(self) -> str:
        """The first start as the services take it: ``2026-10-01T10:00`` (local)."""
        return datetime.combine(self.start_date, self.start_time).strftime("%Y-%m-%dT%H:%M")

    @property
    def duration_minutes(self) -> int:
        start = datetime.combine(self.start_date, self.start_time)
        return int((datetime.combine(self.start_date, self.end_time) - start).total_seconds() // 60)

    @property
    def exdates(self) -> list[str]:
        return [day.isoformat() for day in self.skipped]

    @property
    def is_open_ended(self) -> bool:
        return self.pattern != "once" and self.until is None and self.count is None

    def rrule(self) -> str | None:
        """The RFC 5545 rule, or ``None`` for a single date.

        UNTIL is a date: the series runs up to and including that local day.
        """
        if self.pattern == "once":
            return None
        if self.pattern == "weekly":
            parts = ["FREQ=WEEKLY"]
            if self.interval > 1:
                parts.append(f"INTERVAL={self.interval}")
            parts.append("BYDAY=" + ",".join(self.weekdays))
        else:
            parts = ["FREQ=MONTHLY", f"BYDAY={self.month_week}{self.month_weekday}"]
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        elif self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}")
        return ";".join(parts)


# --- from the form ---------------------------------------------------------------------


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _time(text: str) -> time | None:
    """``10:00``, ``9:30``, ``9.30`` or ``9`` (a browser's time field sends ``09:30``)."""
    hours, _, minutes = text.strip().replace(".", ":").partition(":")
    minutes = minutes[:2] if minutes else "00"
    if not (hours.isdigit() and minutes.isdigit() and len(hours) <= 2 and len(minutes) == 2):
        return None
    if int(hours) > 23 or int(minutes) > 59:
        return None
    return time(int(hours), int(minutes))


def _whole(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if not text.lstrip("-").isdigit():
        return None
    number = int(text)
    return number if low <= number <= high else None


def skipped_dates(text: str) -> list[date] | None:
    """Dates separated by lines, commas or spaces; ``None`` if one of them is not a date."""
    days: list[date] = []
    for chunk in text.replace(",", " ").replace(";", " ").split():
        day = _date(chunk)
        if day is None:
            return None
        if day not in days:
            days.append(day)
    return sorted(days)


def parse_when(form: WhenForm) -> When:
    """Check the fields; raises :class:`WhenErrors` naming every field that is wrong."""
    errors: dict[str, str] = {}
    pattern = form.pattern if form.pattern in PATTERNS else ""
    if not pattern:
        errors["pattern"] = ERRORS["pattern"]
    start_date = _date(form.start_date)
    if start_date is None:
        errors["start_date"] = ERRORS["start_date"]
    start_time = _time(form.start_time)
    if start_time is None:
        errors["start_time"] = ERRORS["start_time"]
    end_time = _time(form.end_time)
    if end_time is None:
        errors["end_time"] = ERRORS["end_time"]
    elif start_time is not None and end_time <= start_time:
        errors["end_time"] = ERRORS["end_before_start"]

    weekdays: tuple[str, ...] = ()
    interval, month_week, month_weekday = 1, 1, ""
    if pattern == "weekly":
        chosen = {day.strip().upper() for day in form.weekdays}
        weekdays = tuple(day for day in WEEKDAYS if day in chosen)
        if not weekdays or len(chosen) != len(weekdays):
            errors["weekdays"] = ERRORS["weekdays"]
        parsed_interval = _whole(form.interval or "1", 1, MAX_INTERVAL)
        if parsed_interval is None:
            errors["interval"] = ERRORS["interval"]
        else:
            interval = parsed_interval
    elif pattern == "monthly":
        parsed_week = _whole(form.month_week, -1, 4)
        if parsed_week not in MONTH_WEEKS:
            errors["month_week"] = ERRORS["month_week"]
        else:
            month_week = parsed_week
        month_weekday = form.month_weekday.strip().upper()
        if month_weekday not in WEEKDAYS:
            errors["month_weekday"] = ERRORS["month_weekday"]

    until: date | None = None
    count: int | None = None
    skipped: list[date] = []
    if pattern in ("weekly", "monthly"):
        if form.end == "until":
            until = _date(form.until)
            if until is None:
                errors["until"] = ERRORS["until"]
            elif start_date is not None and until < start_date:
                errors["until"] = ERRORS["until_before_start"]
        elif form.end == "count":
            count = _whole(form.count, 1, MAX_OCCURRENCES)
            if count is None:
                errors["count"] = ERRORS["count"]
        elif form.end != "open":
            errors["end"] = ERRORS["end"]
        parsed_skipped = skipped_dates(form.skipped)
        if parsed_skipped is None or len(parsed_skipped) > MAX_SKIPPED:
            errors["skipped"] = ERRORS["skipped"]
        else:
            skipped = parsed_skipped
    if errors:
        raise WhenErrors(errors)
    assert start_date is not None and start_time is not None and end_time is not None
    return When(
        pattern=pattern,
        start_date=start_date,
        start_time=start_time,
        end_time=end_time,
        weekdays=weekdays,
        interval=interval,
        month_week=month_week,
        month_weekday=month_weekday,
        until=until,
        count=count,
        skipped=tuple(skipped),
    )


# --- back to the form, from a stored series ----------------------------------------------


def form_from_schedule(schedule: Schedule) -> WhenForm | None:
    """The form fields that give this schedule, or ``None`` if the builder cannot express its rule."""
    start = schedule.start_local
    end = start + schedule.duration
    if end.date() != start.date():
        return None
    form = WhenForm(
        start_date=start.date().isoformat(),
        start_time=start.strftime("%H:%M"),
        end_time=end.strftime("%H:%M"),
        skipped="\n".join(day.isoformat() for day in sorted(schedule.exdates)),
    )
    if schedule.rdates:
        return None
    if schedule.rule is None:
        form.pattern = "once"
        form.end = "until"
        return form
    parts = dict(part.split("=", 1) for part in schedule.rule.text.split(";"))
    allowed = {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL", "WKST"}
    if parts["FREQ"] == "WEEKLY" and "BYDAY" not in parts:
        parts["BYDAY"] = WEEKDAYS[start.weekday()]  # RFC 5545: the weekday of the first date
    if set(parts) - allowed or "BYDAY" not in parts:
        return None
    days = parts["BYDAY"].split(",")
    if parts["FREQ"] == "WEEKLY" and all(day in WEEKDAYS for day in days):
        form.pattern = "weekly"
        form.weekdays = days
        form.interval = parts.get("INTERVAL", "1")
    elif parts["FREQ"] == "MONTHLY" and len(days) == 1 and "INTERVAL" not in parts:
        number, weekday = days[0][:-2], days[0][-2:]
        if weekday not in WEEKDAYS or not number.lstrip("-").isdigit() or int(number) not in MONTH_WEEKS:
            return None
        form.pattern = "monthly"
        form.month_week = str(int(number))
        form.month_weekday = weekday
    else:
        return None
    if schedule.rule.count is not None:
        form.end, form.count = "count", str(schedule.rule.count)
    elif schedule.rule.until_local is not None:
        form.end, form.until = "until", schedule.rule.until_local.date().isoformat()
    else:
        form.end = "open"
    return form


# --- in words ----------------------------------------------------------------------------

Gettext = Callable[..., str]


@dataclass(frozen=True, slots=True)
class Words:
    """How to say things in one language: gettext functions (``_(text, **values)``) and a Babel locale."""

    gettext: Gettext
    ngettext: Gettext
    locale: Locale

    def weekday(self, code: str) -> str:
        return str(self.locale.days["format"]["wide"][WEEKDAYS.index(code)])

    def day(self, day: date, *, with_year: bool = True) -> str:
        return format_skeleton("yMMMd" if with_year else "MMMd", day, locale=self.locale)

    def time(self, moment: time) -> str:
        return format_time(moment, format="short", locale=self.locale)


def _how_often(when: When, words: Words) -> str:
    if when.pattern == "weekly":
        days = format_list([words.weekday(day) for day in when.weekdays], locale=words.locale)
        if when.interval == 1:
            return words.gettext(N_("every %(weekdays)s"), weekdays=days)
        ngettext = words.ngettext
        return ngettext(
            "every %(num)s week on %(weekdays)s",
            "every %(num)s weeks on %(weekdays)s",
            when.interval,
            weekdays=days,
        )
    return words.gettext(WEEKDAY_ORDINALS[when.month_week], weekday=words.weekday(when.month_weekday))


def describe(when: When, words: Words) -> str:
    """The rule in a sentence: "every Thursday, 10:00 to 14:00, from 1 Oct until 17 Dec 2026"."""
    hours = words.gettext(N_("%(start)s to %(end)s"), start=words.time(when.start_time), end=words.time(when.end_time))
    if when.pattern == "once":
        return words.gettext(N_("once, on %(day)s, %(hours)s"), day=words.day(when.start_date), hours=hours)
    how_often = _how_often(when, words)
    if when.until is not None:
        same_year = when.until.year == when.start_date.year
        span = words.gettext(
            N_("from %(first)s until %(last)s"),
            first=words.day(when.start_date, with_year=not same_year),
            last=words.day(when.until),
        )
    elif when.count is not None:
        ngettext = words.ngettext
        span = ngettext(
            "from %(first)s, %(num)s time",
            "from %(first)s, %(num)s times",
            when.count,
            first=words.day(when.start_date),
        )
    else:
        span = words.gettext(N_("from %(first)s, with no end date"), first=words.day(when.start_date))
    sentence = words.gettext(N_("%(how_often)s, %(hours)s, %(span)s"), how_often=how_often, hours=hours, span=span)
    if when.skipped:
        skipped = format_list([words.day(day) for day in when.skipped], locale=words.locale)
        sentence = words.gettext(N_("%(sentence)s; not on %(dates)s"), sentence=sentence, dates=skipped)
    return sentence


# --- the next dates ----------------------------------------------------------------------


def next_dates(schedule: Schedule, *, after: datetime, limit: int = 10) -> tuple[list[datetime], int | None]:
    """Up to ``limit`` local starts at or after the UTC instant ``after``, and how many sessions
    the whole series has (``None`` when it has no end)."""
    after_local = to_local(after, schedule.zone)
    upcoming: list[datetime] = []
    total: int | None = 0
    for local in schedule.local_starts(None if not schedule.is_open_ended else after_local + timedelta(days=800)):
        if local >= after_local and len(upcoming) < limit:
            upcoming.append(local)
        if schedule.is_open_ended:
            if len(upcoming) >= limit:
                break
        else:
            assert total is not None
            total += 1
    return upcoming, (None if schedule.is_open_ended else total)
