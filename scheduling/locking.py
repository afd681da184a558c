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

from app.database import engine, fetch, in_transaction
from scheduling.errors import SchedulingError

LOCK_TIMEOUT_MS = 5000


class Busy(SchedulingError):
    """Too many people at once; try again in a moment."""

    retry_after = 2


# One hand-written statement: this runs for every sign-up, and building the joined SELECT
# with the query builder cost more than the database round trip itself.
_LOCK_SELECT = (
    "SELECT s.id, s.activity, s.status, s.starts_at, s.ends_at, s.capacity, s.confirmed_count,"
    " s.waitlisted_count, a.capacity AS activity_capacity, a.waitlist, a.status AS activity_status,"
    " a.kind, a.signup_cutoff_minutes AS cutoff"
    ' FROM "session" s JOIN activity a ON a.id = s.activity WHERE s.id = {}'
)
# On PostgreSQL the same statement sets the transaction's lock timeout (``set_config(…, true)``
# is ``SET LOCAL``) and then locks the row: a WHERE condition is evaluated when the row is
# scanned, below the step that waits for the row lock, so the timeout is in force before any
# wait begins, and one round trip is saved on every sign-up.
_LOCK_POSTGRES = _LOCK_SELECT + " AND set_config('lock_timeout', {}, true) IS NOT NULL FOR UPDATE OF s"


async def lock_session(session_id: int) -> dict[str, Any] | None:
    """The session row with its activity's capacity rules, locked until the transaction ends."""
    if not in_transaction():
        raise RuntimeError("lock_session() must run inside write_transaction()")
    if isinstance(engine(), PostgresEngine):
        rows = await fetch(_LOCK_POSTGRES, session_id, f"{LOCK_TIMEOUT_MS}ms")
    else:
        rows = await fetch(_LOCK_SELECT, session_id)
    return dict(rows[0]) if rows else None


def is_contention(error: BaseException) -> bool:
    """Whether a database error means "another writer holds the lock" (retryable)."""
    text = str(error).lower()
    name = type(error).__name__
    return (
        "database is locked" in text
        or "lock timeout" in text
        or name in ("LockNotAvailableError", "DeadlockDetectedError", "SerializationError", "TooManyConnectionsError")
    )
