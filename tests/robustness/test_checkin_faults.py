"""A check-in scan whose PostgreSQL connection drops mid-statement: a retryable 503, nothing half-written.

On PostgreSQL a scan that admits someone writes the door log entry, the attendance row and the
no-show correction in one statement, outside a transaction (``checkin.services._door``): the
statement is atomic by itself, so a connection killed while it runs leaves none of them behind.
"""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest
from httpx import AsyncClient as Client

from tests.checkin.helpers import a_door, attendance_rows, door_log, qr, register, scan

pytestmark = pytest.mark.slow


async def _kill_the_waiting_backend(holder: asyncpg.Connection) -> bool:
    for _ in range(100):
        killed = await holder.fetchval(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        if killed:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_postgres_connection_dropped_mid_scan_gives_503_and_writes_nothing(
    client: Client, database_kind: str
) -> None:
    if database_kind != "postgres":
        pytest.skip("a server-side connection drop")
    door = await a_door(client)
    person = await register(client, door.session_id)
    holder = await asyncpg.connect(os.environ["TREFFPUNKT_DATABASE_URL"])
    await holder.execute("BEGIN")
    # An uncommitted attendance row for the same person: the scan's insert waits to see whether it commits.
    await holder.execute(
        "INSERT INTO attendance (registration, session, checked_in_at, recorded_at, method)"
        " VALUES ($1, $2, now(), now(), 'name')",
        person["id"],
        door.session_id,
    )
    try:
        attempt = asyncio.create_task(scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id))
        assert await _kill_the_waiting_backend(holder), "the scan never waited on the other insert"
        response = await attempt
    finally:
        await holder.execute("ROLLBACK")
        await holder.close()
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    assert "try again" in response.json()["detail"].lower()
    assert await attendance_rows(person["id"]) == 0
    assert await door_log() == []  # the log entry went with the statement

    # The dead connection is replaced: the scan goes through on the next tries, once.
    again = await scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id)
    assert again.status_code == 200 and again.json()["result"] == "ok", again.text
    repeated = await scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id)
    assert repeated.json()["result"] == "already"
    assert repeated.json()["checked_in_at"] == again.json()["checked_in_at"]
    assert await attendance_rows(person["id"]) == 1
    assert len(await door_log()) == 2
