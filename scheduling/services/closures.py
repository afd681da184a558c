"""Closure days (holidays, team days): no session takes place anywhere on them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from app.database import write_transaction
from scheduling.errors import InvalidActivity, SchedulingError
from scheduling.events import SessionEvent, SessionEventKind, publish
from scheduling.kinds import SessionStatus
from scheduling.recurrence import parse_timezone, to_local
from scheduling.schemas import ClosureOut
from scheduling.services._common import as_utc, utcnow
from scheduling.services.sessions import CLOSURE_REASON
from scheduling.tables import ClosureDay, Session


class ClosureNotFound(SchedulingError):
    pass


async def _sessions_on(day: date, status: SessionStatus) -> list[dict[str, Any]]:
    """Sessions whose local date (in their activity's zone) is ``day``."""
    window_start = datetime.combine(day - timedelta(days=1), datetime.min.time()).replace(tzinfo=None)
    rows = await Session.select(
        Session.id,
        Session.activity,
        Session.starts_at,
        Session.cancel_reason,
        Session.activity.timezone.as_alias("timezone"),
    ).where(
        Session.starts_at >= as_utc(window_start),
        Session.starts_at < as_utc(window_start + timedelta(days=3)),
        Session.status == status.value,
    )
    return [row for row in rows if to_local(as_utc(row["starts_at"]), parse_timezone(row["timezone"])).date() == day]


async def add_closure(day: date, name: str, *, now: datetime | None = None) -> ClosureOut:
    """Record a closure day and cancel every scheduled session on it (people are told)."""
    now = now or utcnow()
    async with write_transaction():
        if await ClosureDay.exists().where(ClosureDay.day == day):
            raise InvalidActivity("day", f"{day.isoformat()} is already a closure day")
        rows = await ClosureDay.insert(ClosureDay(day=day, name=name.strip(), created_at=now)).returning(ClosureDay.id)
        affected = [row for row in await _sessions_on(day, SessionStatus.scheduled) if as_utc(row["starts_at"]) > now]
        for row in affected:
            await Session.update(
                {
                    Session.status: SessionStatus.cancelled.value,
                    Session.cancel_reason: CLOSURE_REASON,
                    Session.updated_at: now,
                }
            ).where(Session.id == row["id"])
            await publish(
                SessionEvent(
                    SessionEventKind.cancelled,
                    row["id"],
                    row["activity"],
                    as_utc(row["starts_at"]),
                    reason=name or CLOSURE_REASON,
                )
            )
    return ClosureOut(id=int(rows[0]["id"]), day=day, name=name.strip(), cancelled_sessions=len(affected))


async def remove_closure(day: date, *, now: datetime | None = None) -> ClosureOut:
    """Remove a closure day; the sessions it cancelled take place again."""
    now = now or utcnow()
    async with write_transaction():
        row = await ClosureDay.select().where(ClosureDay.day == day).first()
        if row is None:
            raise ClosureNotFound(f"{day.isoformat()} is not a closure day.")
        await ClosureDay.delete().where(ClosureDay.day == day)
        restored = [
            s
            for s in await _sessions_on(day, SessionStatus.cancelled)
            if s["cancel_reason"] == CLOSURE_REASON and as_utc(s["starts_at"]) > now
        ]
        for session in restored:
            await Session.update(
                {Session.status: SessionStatus.scheduled.value, Session.cancel_reason: "", Session.updated_at: now}
            ).where(Session.id == session["id"])
            await publish(
                SessionEvent(
                    SessionEventKind.restored, session["id"], session["activity"], as_utc(session["starts_at"])
                )
            )
    return ClosureOut(id=row["id"], day=day, name=row["name"], cancelled_sessions=-len(restored))


async def list_closures() -> list[ClosureOut]:
    rows = await ClosureDay.select().order_by(ClosureDay.day)
    return [ClosureOut(id=row["id"], day=row["day"], name=row["name"]) for row in rows]
