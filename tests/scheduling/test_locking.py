"""The session lock of the sign-up path: contention becomes a retryable error, never a hang."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from httpx import AsyncClient as Client

from app.database import engine
from scheduling import locking
from scheduling.services import SignUp, sign_up
from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of

PERSON = SignUp(name="Amina Haddad", language="ar", phone="+4915123456789", consent=True)


async def test_a_locked_session_gives_up_after_the_lock_timeout(
    client: Client, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database_kind != "postgres":
        pytest.skip("row locks and lock_timeout are PostgreSQL's; SQLite queues writers for its one write lock")
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    session_id = (await sessions_of(client, activity["id"]))[0]["id"]
    monkeypatch.setattr(locking, "LOCK_TIMEOUT_MS", 300)

    other = await asyncpg.connect(engine().config["dsn"])
    try:
        holder = other.transaction()
        await holder.start()
        await other.execute('SELECT id FROM "session" WHERE id = $1 FOR UPDATE', session_id)
        with pytest.raises(asyncpg.LockNotAvailableError) as raised:
            await asyncio.wait_for(sign_up(session_id, PERSON), timeout=30)  # a hang fails here, not forever
        assert locking.is_contention(raised.value)
        await holder.rollback()
    finally:
        await other.close()

    # nothing was half-written, and the lock timeout did not outlive its transaction
    response = await client.get(f"/api/v1/sessions/{session_id}")
    assert response.json()["confirmed"] == 0
    result = await sign_up(session_id, PERSON)
    assert result.created and result.status.value == "confirmed"
    response = await client.get(f"/api/v1/sessions/{session_id}")
    assert response.json()["confirmed"] == 1
