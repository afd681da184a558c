"""Helpers shared by the scheduling services."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scheduling.recurrence import Rule, Schedule, build_schedule


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Rows come back aware on PostgreSQL and SQLite alike; make sure they are UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def schedule_of(activity: dict[str, Any]) -> Schedule:
    """The schedule of a stored activity row (already validated when it was saved)."""
    return build_schedule(
        timezone=activity["timezone"],
        start=activity["start_local"],
        duration_minutes=activity["duration_minutes"],
        rrule_text=activity["rrule"],
        exdates=activity["exdates"] or [],
        rdates=activity["rdates"] or [],
    )


def rule_text(rule: Rule | None) -> str | None:
    return rule.text if rule is not None else None
