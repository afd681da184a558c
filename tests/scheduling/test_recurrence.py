"""Recurrence in the activity's time zone (pure functions, no database)."""

from datetime import UTC, datetime

import pytest

from scheduling.errors import InvalidActivity, InvalidRule, NonexistentTime
from scheduling.recurrence import build_schedule


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def starts(**kwargs: object) -> list[datetime]:
    defaults: dict[str, object] = {"timezone": "Europe/Berlin", "duration_minutes": 60, "rrule_text": None}
    schedule = build_schedule(**{**defaults, **kwargs})  # type: ignore[arg-type]
    return [start for start, _ in schedule.occurrences()]


def test_weekly_thursday_group_keeps_ten_oclock_across_the_october_change() -> None:
    result = starts(start="2026-10-01T10:00", rrule_text="FREQ=WEEKLY;BYDAY=TH;COUNT=8", exdates=["2026-10-29"])
    assert len(result) == 7
    assert result[:4] == [
        utc("2026-10-01T08:00"),
        utc("2026-10-08T08:00"),
        utc("2026-10-15T08:00"),
        utc("2026-10-22T08:00"),
    ]
    assert result[4:] == [utc("2026-11-05T09:00"), utc("2026-11-12T09:00"), utc("2026-11-19T09:00")]


def test_march_change_moves_the_utc_instant_the_other_way() -> None:
    result = starts(start="2027-03-18T10:00", rrule_text="FREQ=WEEKLY;COUNT=3")
    assert result == [utc("2027-03-18T09:00"), utc("2027-03-25T09:00"), utc("2027-04-01T08:00")]


def test_last_friday_of_the_month() -> None:
    result = starts(start="2026-10-01T14:00", rrule_text="FREQ=MONTHLY;BYDAY=-1FR;COUNT=3")
    assert [d.date().isoformat() for d in result] == ["2026-10-30", "2026-11-27", "2026-12-25"]


def test_second_tuesday_every_second_month_until_a_date() -> None:
    result = starts(start="2026-10-01T09:30", rrule_text="FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU;UNTIL=20270401")
    assert [d.date().isoformat() for d in result] == ["2026-10-13", "2026-12-08", "2027-02-09"]


def test_start_off_the_rule_moves_to_the_first_rule_date() -> None:
    schedule = build_schedule(
        timezone="Europe/Berlin",
        start="2026-09-30T10:00",
        duration_minutes=60,
        rrule_text="FREQ=WEEKLY;BYDAY=TH;COUNT=2",
    )
    assert schedule.start_local == datetime(2026, 10, 1, 10, 0)
    assert len(schedule.occurrences()) == 2


def test_rdate_adds_an_extra_session() -> None:
    result = starts(start="2026-10-01T10:00", rrule_text="FREQ=WEEKLY;COUNT=2", rdates=["2026-10-03T12:00"])
    assert result == [utc("2026-10-01T08:00"), utc("2026-10-03T10:00"), utc("2026-10-08T08:00")]


def test_other_time_zones_are_respected() -> None:
    result = starts(timezone="America/New_York", start="2026-10-29T10:00", rrule_text="FREQ=WEEKLY;COUNT=2")
    assert result == [utc("2026-10-29T14:00"), utc("2026-11-05T15:00")]


def test_open_ended_rule_needs_a_limit_to_expand() -> None:
    schedule = build_schedule(
        timezone="Europe/Berlin", start="2026-10-01T10:00", duration_minutes=60, rrule_text="FREQ=DAILY"
    )
    assert schedule.is_open_ended
    assert len(schedule.occurrences(until=utc("2026-10-10T23:00"))) == 10


@pytest.mark.parametrize(
    ("rule", "part"),
    [
        ("FREQ=YEARLY", "FREQ"),
        ("BYDAY=MO", "FREQ"),
        ("FREQ=WEEKLY;BYDAY=MX", "BYDAY"),
        ("FREQ=WEEKLY;BYDAY=2TU", "BYDAY"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT"),
        ("FREQ=WEEKLY;COUNT=ten", "COUNT"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101", "UNTIL"),
        ("FREQ=WEEKLY;UNTIL=2027-01-01", "UNTIL"),
        ("FREQ=WEEKLY;UNTIL=20250101", "UNTIL"),
        ("FREQ=WEEKLY;INTERVAL=-1", "INTERVAL"),
        ("FREQ=WEEKLY;BYHOUR=10", "BYHOUR"),
        ("FREQ=WEEKLY;FREQ=DAILY", "FREQ"),
        ("FREQ=DAILY;BYMONTHDAY=3", "BYMONTHDAY"),
        ("FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS"),
        ("FREQ", "FREQ"),
    ],
)
def test_invalid_rules_name_the_part(rule: str, part: str) -> None:
    with pytest.raises(InvalidRule) as error:
        starts(start="2026-10-01T10:00", rrule_text=rule)
    assert error.value.part == part
    assert part in str(error.value)


def test_start_inside_the_spring_gap_is_refused() -> None:
    with pytest.raises(NonexistentTime) as error:
        starts(start="2027-03-28T02:30")
    assert "does not exist" in str(error.value)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidActivity) as error:
        starts(timezone="Europe/Atlantis", start="2026-10-01T10:00")
    assert error.value.field == "timezone"


@pytest.mark.parametrize("minutes", [0, -30, 2000])
def test_bad_durations_are_refused(minutes: int) -> None:
    with pytest.raises(InvalidActivity) as error:
        starts(start="2026-10-01T10:00", duration_minutes=minutes)
    assert error.value.field == "duration_minutes"


def test_date_without_time_is_refused() -> None:
    with pytest.raises(InvalidActivity) as error:
        starts(start="2026-10-01")
    assert error.value.field == "start"


def test_start_with_offset_is_converted_to_local_time() -> None:
    schedule = build_schedule(
        timezone="Europe/Berlin", start="2026-10-01T08:00:00Z", duration_minutes=60, rrule_text=None
    )
    assert schedule.start_local == datetime(2026, 10, 1, 10, 0)
