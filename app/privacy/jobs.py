"""The daily retention job."""

from __future__ import annotations

from typing import Any

from app.funder.erasure import reencrypt_profiles
from app.privacy.services import apply_retention
from app.settings import get_settings


async def retention_job(ctx: dict[str, Any]) -> int:
    """Daily: erase people whose last session is older than the retention period.

    It also re-encrypts funder profiles still written with an older data key.
    """
    erased = await apply_retention(get_settings().retention_months)
    await reencrypt_profiles()
    return erased
