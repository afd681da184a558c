"""Apply the committed Piccolo migrations of every domain, forward only."""

from __future__ import annotations

import contextlib
import io

from app.database import enable_wal
from app.settings import get_settings


class MigrationFailed(RuntimeError):
    pass


async def migrate() -> str:
    """Bring the database schema up to date; returns Piccolo's summary."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    enable_wal(get_settings().database)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        result = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not result.success:
        raise MigrationFailed(result.message or output.getvalue().strip().splitlines()[-1])
    return output.getvalue()
