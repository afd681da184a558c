"""The recurrence builder: form fields → RRULE, → words, → sessions, and back to the form."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from gettext import NullTranslations
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel import Locale

from app.i18n import translations
from app.pages import gettext_functions
from scheduling.recurrence import build_schedule
from scheduling.recurrence_builder import (
    When,
    WhenErrors,
    WhenForm,
    Words,
    describe,
    form_from_schedule,
    next_dates,
    parse_when,
)

BERLIN = ZoneInfo("Europe/Berlin")


def words(lang: str = "en") -> Words:
    catalog = NullTranslations() if lang == "en" else translations(lang)
    gettext, ngettext = gettext_functions(catalog)
    return Words(gettext, ngettext, Locale.parse(lang))


def when(**fields: Any) -> When:
    base: dict[str, Any] = {
        "pattern": "weekly",
        "weekdays": ["TH"],
        "start_date": "2026-10-01",
        "start_time": "10:00",
        "end_time": "14:00",
        "end": "until",
        "until": "2026-12-17",
    }
    return parse_when(WhenForm(**{**base, **fields}))


def schedule_of(rule: When, zone: str = "Europe/Berlin") -> Any:
    return build_schedule(
        timezone=zone,
        start=rule.start_local,
        duration_minutes=rule.duration_minutes,
        rrule_text=rule.rrule(),
        exdates=rule.exdates,
    )


def local_days(rule: When) -> list[date]:
    return [start.date() for start, _ in ((s.astimezone(BERLIN), e) for s, e in schedule_of(rule).occurrences())]


# --- the rule ------------------------------------------------------------------------------


def test_weekly_on_one_day_until_a_date() -> None:
    rule = when()
    assert rule.rrule() == "FREQ=WEEKLY;BYDAY=TH;UNTIL=20261217"
    assert rule.start_local == "2026-10-01T10:00"
    assert rule.duration_minutes == 240
    days = local_days(rule)
    assert days[0] == date(2026, 10, 1) and days[-1] == date(2026, 12, 17)
    assert len(days) == 12


def test_weekly_on_two_days_in_weekday_order() -> None:
    rule = when(weekdays=["TH", "MO"], start_date="2026-10-05", until="2026-10-16")
    assert rule.rrule() == "FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20261016"
    assert local_days(rule) == [date(2026, 10, 5), date(2026, 10, 8), date(2026, 10, 12), date(2026, 10, 15)]


def test_every_two_weeks() -> None:
    rule = when(interval="2", end="count", count="4")
    assert rule.rrule() == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;COUNT=4"
    assert local_days(rule) == [date(2026, 10, 1), date(2026, 10, 15), date(2026, 10, 29), date(2026, 11, 12)]


def test_monthly_on_the_second_tuesday() -> None:
    rule = when(pattern="monthly", month_week="2", month_weekday="TU", start_date="2026-10-01", end="count", count="3")
    assert rule.rrule() == "FREQ=MONTHLY;BYDAY=2TU;COUNT=3"
    assert local_days(rule) == [date(2026, 10, 13), date(2026, 11, 10), date(2026, 12, 8)]


def test_monthly_on_the_last_friday() -> None:
    rule = when(pattern="monthly", month_week="-1", month_weekday="FR", until="2026-12-31")
    assert rule.rrule() == "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231"
    assert local_days(rule) == [date(2026, 10, 30), date(2026, 11, 27), date(2026, 12, 25)]


def test_count_and_until_give_the_same_series() -> None:
    by_count = local_days(when(end="count", count="12"))
    by_until = local_days(when(end="until", until="2026-12-17"))
    assert by_count == by_until


def test_open_ended_has_no_end_in_the_rule() -> None:
    rule = when(end="open")
    assert rule.rrule() == "FREQ=WEEKLY;BYDAY=TH"
    assert rule.is_open_ended


def test_skipped_dates_are_left_out() -> None:
    rule = when(skipped="2026-10-29\n2026-10-22, 2026-10-29")
    assert rule.exdates == ["2026-10-22", "2026-10-29"]
    days = local_days(rule)
    assert date(2026, 10, 22) not in days and date(2026, 10, 29) not in days
    assert len(days) == 10


def test_once_is_a_single_date_without_a_rule() -> None:
    rule = when(pattern="once", until="", skipped="2026-10-02")
    assert rule.rrule() is None
    assert rule.exdates == []
    assert local_days(rule) == [date(2026, 10, 1)]


def test_ten_o_clock_stays_ten_o_clock_in_berlin_across_the_clock_change() -> None:
    rule = when(start_date="2026-10-15", until="2026-11-05")  # summer time ends on 25 October
    occurrences = schedule_of(rule).occurrences()
    assert [start.astimezone(BERLIN).time() for start, _ in occurrences] == [time(10, 0)] * 4
    assert [start.astimezone(BERLIN).time() for _, start in occurrences] == [time(14, 0)] * 4
    assert [start.astimezone(UTC).hour for start, _ in occurrences] == [8, 8, 9, 9]


# --- mistakes ----------------------------------------------------------------------------


def errors_of(**fields: Any) -> dict[str, str]:
    with pytest.raises(WhenErrors) as caught:
        when(**fields)
    return caught.value.errors


def test_every_wrong_field_is_named_at_once() -> None:
    errors = errors_of(weekdays=[], start_date="1.10.2026", end_time="late", start_time="ten")
    assert set(errors) == {"weekdays", "start_date", "start_time", "end_time"}


def test_the_end_must_be_after_the_start() -> None:
    assert errors_of(end_time="09:00") == {"end_time": "The end time must be after the start time."}


def test_the_last_date_must_not_be_before_the_first() -> None:
    assert set(errors_of(until="2026-09-01")) == {"until"}


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"weekdays": ["XX"]}, "weekdays"),
        ({"interval": "0"}, "interval"),
        ({"interval": "two"}, "interval"),
        ({"end": "count", "count": "0"}, "count"),
        ({"end": "count", "count": "1001"}, "count"),
        ({"end": "sometime"}, "end"),
        ({"skipped": "2026-10-29 tomorrow"}, "skipped"),
        ({"pattern": "monthly", "month_week": "5", "month_weekday": "TU"}, "month_week"),
        ({"pattern": "monthly", "month_week": "1", "month_weekday": ""}, "month_weekday"),
        ({"pattern": "daily"}, "pattern"),
    ],
)
def test_a_wrong_field_is_named(fields: dict[str, Any], field: str) -> None:
    assert field in errors_of(**fields)


def test_times_may_be_written_loosely() -> None:
    rule = when(start_time="9", end_time="12.30")
    assert rule.start_time == time(9, 0) and rule.end_time == time(12, 30)


# --- in words ----------------------------------------------------------------------------


def test_weekly_in_english_words() -> None:
    assert describe(when(), words()) == "every Thursday, 10:00\u202fAM to 2:00\u202fPM, from Oct 1 until Dec 17, 2026"


def test_weekly_in_german_words() -> None:
    text = describe(when(), words("de"))
    assert "Donnerstag" in text and "10:00" in text and "14:00" in text and "17. Dez. 2026" in text


def test_every_two_weeks_on_two_days_in_words() -> None:
    text = describe(when(interval="2", weekdays=["MO", "TH"], end="count", count="6"), words())
    assert text.startswith("every 2 weeks on Monday and Thursday, ")
    assert text.endswith("from Oct 1, 2026, 6 times")


def test_monthly_open_ended_with_skipped_dates_in_words() -> None:
    rule = when(pattern="monthly", month_week="-1", month_weekday="FR", end="open", skipped="2026-12-25")
    text = describe(rule, words())
    assert text.startswith("on the last Friday of every month, ")
    assert "with no end date" in text and text.endswith("not on Dec 25, 2026")


def test_once_in_words() -> None:
    assert describe(when(pattern="once"), words()).startswith("once, on Oct 1, 2026, ")


def test_arabic_words_use_arabic_weekday_names() -> None:
    assert "الخميس" in describe(when(), words("ar"))


# --- back to the form and the preview ------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"weekdays": ["MO", "TH"], "interval": "2", "end": "count", "count": "6"},
        {"pattern": "monthly", "month_week": "-1", "month_weekday": "FR", "end": "open", "start_date": "2026-10-30"},
        {"skipped": "2026-10-29"},
        {"pattern": "once"},
    ],
)
def test_a_stored_schedule_fills_the_form_it_came_from(fields: dict[str, Any]) -> None:
    rule = when(**fields)
    form = form_from_schedule(schedule_of(rule))
    assert form is not None
    assert parse_when(form) == rule


def test_a_rule_the_builder_cannot_express_gives_no_form() -> None:
    schedule = build_schedule(
        timezone="Europe/Berlin", start="2026-10-01T10:00", duration_minutes=60, rrule_text="FREQ=DAILY;COUNT=3"
    )
    assert form_from_schedule(schedule) is None


def test_next_dates_counts_the_whole_series() -> None:
    upcoming, total = next_dates(schedule_of(when()), after=datetime(2026, 11, 1, tzinfo=UTC), limit=3)
    assert [d.date() for d in upcoming] == [date(2026, 11, 5), date(2026, 11, 12), date(2026, 11, 19)]
    assert total == 12


def test_next_dates_of_an_open_series() -> None:
    upcoming, total = next_dates(schedule_of(when(end="open")), after=datetime(2026, 9, 1, tzinfo=UTC), limit=5)
    assert len(upcoming) == 5 and total is None


def test_a_weekly_rule_without_weekdays_is_on_the_weekday_of_its_first_date() -> None:
    schedule = build_schedule(
        timezone="Europe/Berlin", start="2026-10-01T10:00", duration_minutes=240, rrule_text="FREQ=WEEKLY;COUNT=4"
    )
    form = form_from_schedule(schedule)
    assert form is not None and form.weekdays == ["TH"] and form.count == "4"
    assert parse_when(form).rrule() == "FREQ=WEEKLY;BYDAY=TH;COUNT=4"
