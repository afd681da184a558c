"""The staff dashboard: today's and this week's sessions, waiting lists, proposals, failed messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.formatting import KIND_ICONS, local_day, local_time
from app.settings import get_settings
from notifications.tables import OutboxMessage
from scheduling import services
from scheduling.kinds import ActivityStatus
from scheduling.languages import pick_text


@dataclass(frozen=True, slots=True)
class DashboardSession:
    id: int
    icon: str
    kind: str
    title: str
    day: str
    starts: str
    ends: str
    status: str
    confirmed: int
    capacity: int | None
    waitlisted: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    today: list[DashboardSession]
    week: list[DashboardSession]
    proposals: list[dict[str, Any]]
    failed_messages: int
    waiting_people: int


def _card(item: Any, lang: str, fallback: str) -> DashboardSession:
    return DashboardSession(
        id=item.id,
        icon=KIND_ICONS[item.kind.value],
        kind=item.kind.value,
        title=pick_text(item.title, lang, [fallback, *item.languages]),
        day=local_day(item.starts_at, item.timezone, lang),
        starts=local_time(item.starts_at, item.timezone, lang),
        ends=local_time(item.ends_at, item.timezone, lang),
        status=item.status.value,
        confirmed=item.confirmed,
        capacity=item.capacity,
        waitlisted=item.waitlisted,
    )


async def build_dashboard(lang: str, now: datetime | None = None) -> Dashboard:
    settings = get_settings()
    now = now or datetime.now(UTC)
    zone = ZoneInfo(settings.timezone)
    day_start = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone).astimezone(UTC)
    tomorrow = day_start + timedelta(days=1)
    today = await services.list_sessions(services.SessionFilter(start=day_start, end=tomorrow, limit=200))
    week = await services.list_sessions(
        services.SessionFilter(start=tomorrow, end=tomorrow + timedelta(days=7), limit=200)
    )
    activities = await services.list_activities(
        services.ActivityFilter(include_unpublished=True, kind="company_visit", limit=200), staff=True
    )
    proposals = [
        {
            "id": a.id,
            "title": pick_text(a.title, lang, [settings.default_language]),
            "start": a.start,
            "employer_id": a.employer_id,
        }
        for a in activities
        if a.status is ActivityStatus.proposed
    ]
    failed = await OutboxMessage.count().where(OutboxMessage.status == "failed")
    fallback = settings.default_language
    return Dashboard(
        today=[_card(item, lang, fallback) for item in today],
        week=[_card(item, lang, fallback) for item in week],
        proposals=proposals,
        failed_messages=failed,
        waiting_people=sum(item.waitlisted for item in [*today, *week]),
    )
