"""The period of a report: ``[start, end)`` in UTC, checked once for every report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from checkin.errors import InvalidCheckin

MAX_PERIOD = timedelta(days=3 * 366 + 1)  # three years: longer reports belong in the database, not a download


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime

    @classmethod
    def checked(cls, start: datetime, end: datetime) -> Period:
        """The period, or :class:`InvalidCheckin` (400, field ``to``) when it is empty, reversed or too long."""
        if end <= start:
            raise InvalidCheckin(
                "to",
                f"The period ends before it starts: 'to' ({end:%Y-%m-%d %H:%M} UTC) must be after "
                f"'from' ({start:%Y-%m-%d %H:%M} UTC).",
            )
        if end - start > MAX_PERIOD:
            raise InvalidCheckin("to", "The period is longer than three years; choose a shorter one.")
        return cls(start, end)
