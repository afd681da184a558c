"""The one place where capacity is guarded: locking a session row for a seat decision.

``lock_session`` refuses to run outside a write transaction. On PostgreSQL it takes the
row lock (``SELECT … FOR UPDATE``) with a short lock timeout; on SQLite the IMMEDIATE
write transaction already holds the database's write lock. Contention beyond the
timeout becomes :class:`Busy`, which the HTTP layer answers with 503 and Retry-After,
never with an overbooking or a 500.
"""

from __future__ import annotations

from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.database import engine, in_transaction
from scheduling.errors import SchedulingError
from scheduling.tables import Session

LOCK_TIMEOUT_MS = 5000


class Busy(SchedulingError):
    """Too many people at once; try again in a moment."""

    retry_after = 2


async def lock_session(session_id: int) -> dict[str, Any] | None:
    """The session row with its activity's capacity rules, locked until the transaction ends."""
    if not in_transaction():
        raise RuntimeError("lock_session() must run inside write_transaction()")
    query = Session.select(
        Session.id,
        Session.activity,
        Session.status,
        Session.starts_at,
        Session.ends_at,
        Session.capacity,
        Session.confirmed_count,
        Session.waitlisted_count,
        Session.activity.capacity.as_alias("activity_capacity"),
        Session.activity.waitlist.as_alias("waitlist"),
        Session.activity.status.as_alias("activity_status"),
        Session.activity.kind.as_alias("kind"),
        Session.activity.signup_cutoff_minutes.as_alias("cutoff"),
    ).where(Session.id == session_id)
    if isinstance(engine(), PostgresEngine):
        await engine().run_ddl(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
        query = query.lock_rows("UPDATE", of=(Session,))
    return await query.first()


def is_contention(error: BaseException) -> bool:
    """Whether a database error means "another writer holds the lock" (retryable)."""
    text = str(error).lower()
    name = type(error).__name__
    return (
        "database is locked" in text
        or "lock timeout" in text
        or name in ("LockNotAvailableError", "DeadlockDetectedError", "SerializationError", "TooManyConnectionsError")
    )
