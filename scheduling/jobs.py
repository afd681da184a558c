"""Background work of the scheduling domain (run by the arq worker)."""

from __future__ import annotations

from typing import Any

from scheduling.services import extend_open_series


async def extend_sessions_job(ctx: dict[str, Any]) -> int:
    """Daily: create the sessions of open-ended series that came within the one-year horizon."""
    return await extend_open_series()
