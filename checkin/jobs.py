"""Background work of the checkin domain, run by the arq worker (see ``app.worker_process``)."""

from __future__ import annotations

from typing import Any

from checkin.services import mark_due_no_shows


async def mark_no_shows_job(ctx: dict[str, Any]) -> int:
    """Hourly: after a session, everyone confirmed but not checked in becomes a no-show."""
    return await mark_due_no_shows()
