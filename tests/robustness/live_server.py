"""A real ``treffpunkt serve --demo`` in a database of its own, for tests that act as outside clients."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import fresh_postgres_database
from tests.e2e.processes import ServeProcess, serve_env

DEMO_ADMIN = "admin@demo.treffpunkt.example"


@contextmanager
def demo_server(folder: Path, database_kind: str, name: str) -> Iterator[tuple[ServeProcess, dict[str, str]]]:
    """Start ``treffpunkt serve --demo`` in ``folder``; yields the process and its environment."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = fresh_postgres_database(f"treffpunkt_{name}_{worker}") if database_kind == "postgres" else None
    env = serve_env(folder, url)
    env["TREFFPUNKT_SIGNUP_RATE_LIMIT"] = "0"
    env["TREFFPUNKT_LOG_LEVEL"] = "WARNING"
    server = ServeProcess(folder, env, "--demo")
    try:
        server.wait_healthy(timeout=90)
        env["TREFFPUNKT_BASE_URL"] = server.base
        yield server, env
    finally:
        server.stop()


def api_token(folder: Path, env: dict[str, str], email: str = DEMO_ADMIN) -> str:
    """A new API token for a demo user, made with the command line as an operator would."""
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "create-token", "--email", email, "--name", "fuzz"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]
