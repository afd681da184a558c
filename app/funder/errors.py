"""Errors of the funder profile and report, each with its HTTP status.

    FunderError
    ├── ParticipantUnknown   404  no such person
    ├── ProfileRefused       403  a facilitator opens someone outside their activities
    ├── ProfileClosed        409  the person was erased or merged into another record
    ├── NoConsent            404  nothing to withdraw
    ├── ProfileInvalid       400  bad values; ``problems`` maps each field to what is wrong
    ├── InvalidPeriod        400  a report period that cannot be read
    └── ProfileUnavailable   503  stored values encrypted with a key no longer configured

Messages are English source strings with ``%(name)s`` placeholders; pages translate them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    message: str  # an English source string, translated on pages
    values: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return self.message % self.values if self.values else self.message


class FunderError(Exception):
    status_code = 400

    def __init__(self, message: str, field: str | None = None, **values: Any) -> None:
        self.problem = Problem(message, values)
        self.field = field
        super().__init__(self.problem.text())


class ParticipantUnknown(FunderError):
    status_code = 404


class ProfileRefused(FunderError):
    status_code = 403


class ProfileClosed(FunderError):
    status_code = 409


class NoConsent(FunderError):
    status_code = 404


class InvalidPeriod(FunderError):
    status_code = 400


class ProfileUnavailable(FunderError):
    status_code = 503


class ProfileInvalid(FunderError):
    """One or more fields are wrong; ``problems`` says what, per field."""

    def __init__(self, problems: dict[str, Problem]) -> None:
        self.problems = problems
        first = next(iter(problems))
        super().__init__(problems[first].message, first, **problems[first].values)
