"""Test configuration: the environment is set before the application is imported.

The suite runs once per database: ``TREFFPUNKT_TEST_DATABASE=sqlite`` (default) or
``postgres`` with ``TREFFPUNKT_TEST_POSTGRES_URL`` pointing at a server where we may
create databases (``.ci/test`` starts one). Every pytest-xdist worker gets its own
database and its own real Redis server.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
DATABASE_KIND = os.environ.get("TREFFPUNKT_TEST_DATABASE", "sqlite")
TMP = Path(tempfile.mkdtemp(prefix=f"treffpunkt-test-{WORKER}-"))


def fresh_postgres_database(name: str) -> str:
    """A new, empty database ``name`` on the test server (dropped first if it exists); returns its URL."""
    server = os.environ.get("TREFFPUNKT_TEST_POSTGRES_URL")
    if not server:
        raise pytest.UsageError("TREFFPUNKT_TEST_DATABASE=postgres needs TREFFPUNKT_TEST_POSTGRES_URL (see .ci/test)")

    async def recreate() -> None:
        import asyncpg

        connection = await asyncpg.connect(server)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(recreate())
    return urlunsplit(urlsplit(server)._replace(path="/" + name))


def _start_redis() -> tuple[str, subprocess.Popen[bytes] | None]:
    url = os.environ.get("TREFFPUNKT_TEST_REDIS_URL")
    if url:
        return url, None
    from app.embedded_redis import free_port, start_redis_process, wait_until_ready

    port = free_port()
    process = start_redis_process(port, TMP / "redis", stderr=subprocess.DEVNULL)
    wait_until_ready(port)
    return f"redis://127.0.0.1:{port}/0", process


if DATABASE_KIND == "postgres":
    os.environ["TREFFPUNKT_DATABASE_URL"] = fresh_postgres_database(f"treffpunkt_test_{WORKER}")
else:
    os.environ["TREFFPUNKT_DATABASE_URL"] = f"sqlite:///{TMP}/treffpunkt.sqlite3"
os.environ["TREFFPUNKT_SECRET_KEY"] = "test-secret-key-for-treffpunkt-tests-only"
os.environ["TREFFPUNKT_LOG_LEVEL"] = "WARNING"
os.environ["TREFFPUNKT_SIGNUP_RATE_LIMIT"] = "0"
os.environ.pop("TREFFPUNKT_SMTP_URL", None)
os.environ.pop("TREFFPUNKT_SMS_URL", None)
REDIS_URL, _REDIS_PROCESS = _start_redis()
os.environ["TREFFPUNKT_REDIS_URL"] = REDIS_URL

import httpx  # noqa: E402
from litestar import Litestar  # noqa: E402

import app  # noqa: E402,F401  (after the environment is set)
from app import database  # noqa: E402
from app.asgi import create_app  # noqa: E402
from app.auth.services import forget_cached_tokens  # noqa: E402
from app.migrations import migrate  # noqa: E402
from app.public_cache import forget_public_answers  # noqa: E402
from tests.factories import reset_database  # noqa: E402


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _REDIS_PROCESS is not None:
        _REDIS_PROCESS.terminate()
        _REDIS_PROCESS.wait(timeout=10)


@pytest.fixture(scope="session")
def database_kind() -> str:
    return DATABASE_KIND


@pytest.fixture(scope="session")
async def migrated() -> AsyncIterator[None]:
    await database.open_pool()
    await migrate()
    yield
    await database.close_pool()


@pytest.fixture
async def db(migrated: None) -> AsyncIterator[None]:
    """A migrated, empty database for one test (and no answers remembered from the last one)."""
    await reset_database()
    forget_public_answers()
    forget_cached_tokens()
    yield


@pytest.fixture(scope="session")
def litestar_app() -> Litestar:
    return create_app()


@pytest.fixture
async def client(db: None, litestar_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in this event loop (so it shares the session's pool).

    Litestar's own test client runs the app on a second event loop in a thread, where
    asyncpg connections of this loop cannot be used.
    """
    transport = httpx.ASGITransport(app=litestar_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
def tmp_cwd(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)
