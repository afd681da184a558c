"""A sign-up while the database is locked or its connection drops: a clear retryable answer, nothing half-written.

Each database has its own faults: SQLite is locked by another process's write transaction; PostgreSQL has
the session row locked by another connection, or the server terminates our connection mid-transaction.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from httpx import AsyncClient as Client

from tests.scheduling.test_registrations import a_session, phone, sign_up

pytestmark = pytest.mark.slow


def _sqlite_path() -> str:
    return urlsplit(os.environ["TREFFPUNKT_DATABASE_URL"]).path


async def _registrations(session_id: int) -> int:
    from scheduling.tables import Registration

    return await Registration.count().where(Registration.session == session_id)


def _assert_retryable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["status_code"] == 503 and "try again" in body["detail"].lower()


async def test_sqlite_locked_by_another_writer_gives_503_and_writes_nothing(client: Client, database_kind: str) -> None:
    if database_kind != "sqlite":
        pytest.skip("SQLite's database lock; PostgreSQL has its own test below")
    _, session, _ = await a_session(client)
    other = sqlite3.connect(_sqlite_path(), timeout=1, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        response = await sign_up(client, session["id"], phone=phone(1))
    finally:
        other.execute("ROLLBACK")
        other.close()
    _assert_retryable(response)
    assert await _registrations(session["id"]) == 0
    again = await sign_up(client, session["id"], phone=phone(1))
    assert again.status_code == 201, again.text


async def test_sqlite_lock_held_briefly_only_delays_the_sign_up(client: Client, database_kind: str) -> None:
    if database_kind != "sqlite":
        pytest.skip("SQLite's database lock")
    _, session, _ = await a_session(client)
    other = sqlite3.connect(_sqlite_path(), timeout=1, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(1.0, lambda: (other.execute("ROLLBACK"), other.close()))
    release.start()
    try:
        response = await sign_up(client, session["id"], phone=phone(2))
    finally:
        release.join()
    assert response.status_code == 201, response.text
    assert await _registrations(session["id"]) == 1


async def _hold_row_lock(session_id: int) -> asyncpg.Connection:
    connection = await asyncpg.connect(os.environ["TREFFPUNKT_DATABASE_URL"])
    await connection.execute("BEGIN")
    await connection.execute("SELECT id FROM session WHERE id = $1 FOR UPDATE", session_id)
    return connection


async def test_postgres_row_locked_elsewhere_gives_503_and_writes_nothing(client: Client, database_kind: str) -> None:
    if database_kind != "postgres":
        pytest.skip("PostgreSQL's row lock; SQLite has its own test above")
    _, session, _ = await a_session(client)
    holder = await _hold_row_lock(session["id"])
    try:
        response = await sign_up(client, session["id"], phone=phone(3))
    finally:
        await holder.execute("ROLLBACK")
        await holder.close()
    _assert_retryable(response)
    assert await _registrations(session["id"]) == 0
    again = await sign_up(client, session["id"], phone=phone(3))
    assert again.status_code == 201, again.text


async def test_postgres_connection_dropped_mid_sign_up_gives_503_and_writes_nothing(
    client: Client, database_kind: str
) -> None:
    if database_kind != "postgres":
        pytest.skip("a server-side connection drop")
    _, session, _ = await a_session(client)
    holder = await _hold_row_lock(session["id"])
    try:
        attempt = asyncio.create_task(sign_up(client, session["id"], phone=phone(4)))
        # Wait until the sign-up's transaction is blocked on the row lock, then kill its connection.
        killed = None
        for _ in range(100):
            killed = await holder.fetchval(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if killed:
                break
            await asyncio.sleep(0.05)
        assert killed, "the sign-up never waited on the lock"
        response = await attempt
    finally:
        await holder.execute("ROLLBACK")
        await holder.close()
    _assert_retryable(response)
    assert await _registrations(session["id"]) == 0
    # The pool replaces the dead connection: the next attempts succeed.
    for n in range(5, 9):
        again = await sign_up(client, session["id"], phone=phone(n))
        assert again.status_code == 201, again.text
