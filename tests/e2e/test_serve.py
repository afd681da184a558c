"""``treffpunkt serve`` as a person runs it: one command, then Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.e2e.processes import (
    ServeProcess,
    alive,
    command_of,
    descendants,
    get_json,
    serve_env,
    wait_for,
)

pytestmark = pytest.mark.slow


def _database_url(database_kind: str) -> str | None:
    # SQLite: serve's own default file in its folder; PostgreSQL: the test database.
    return os.environ["TREFFPUNKT_DATABASE_URL"] if database_kind == "postgres" else None


def test_serve_runs_web_worker_and_embedded_redis_and_stops_cleanly(tmp_path: Path, database_kind: str) -> None:
    server = ServeProcess(tmp_path, serve_env(tmp_path, _database_url(database_kind)))
    try:
        health = server.wait_healthy()
        assert health["redis"] == {"ok": True, "kind": "embedded"}
        tree = descendants(server.process.pid)
        commands = " | ".join(command_of(pid) for pid in tree)
        assert "redis-server" in commands and " web " in commands and " worker" in commands
        if database_kind == "sqlite":
            assert (tmp_path / "treffpunkt.sqlite3").exists()
            assert (tmp_path / "treffpunkt.secret").exists()
    finally:
        code = server.stop(signal.SIGTERM)
    assert code == 0, server.output()
    assert wait_for(lambda: not any(alive(pid) for pid in tree), 10), [command_of(p) for p in tree if alive(p)]


def test_ctrl_c_leaves_no_process_behind(tmp_path: Path, database_kind: str) -> None:
    server = ServeProcess(tmp_path, serve_env(tmp_path, _database_url(database_kind)))
    try:
        server.wait_healthy()
        tree = descendants(server.process.pid)
    finally:
        server.stop(signal.SIGINT)
    assert wait_for(lambda: not any(alive(pid) for pid in tree), 10)


def test_worker_and_web_survive_a_redis_restart(tmp_path: Path, database_kind: str) -> None:
    server = ServeProcess(tmp_path, serve_env(tmp_path, _database_url(database_kind)))
    try:
        server.wait_healthy()
        tree = descendants(server.process.pid)
        redis_pid = next(pid for pid in tree if "redis-server" in command_of(pid))
        worker_pid = next(pid for pid in tree if command_of(pid).rstrip().endswith("worker"))
        os.kill(redis_pid, signal.SIGKILL)
        assert wait_for(lambda: get_json(server.base + "/health")[1]["redis"]["ok"] is False, 10)  # type: ignore[index]
        # the supervisor restarts Redis on the same port; the worker reconnects
        server.wait_healthy(timeout=30)
        assert alive(worker_pid), "the worker reconnected instead of dying"
        new_redis = [pid for pid in descendants(server.process.pid) if "redis-server" in command_of(pid)]
        assert new_redis and new_redis[0] != redis_pid
        assert wait_for(lambda: "worker_lost_redis" in server.output() or alive(worker_pid), 5)
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.output()


def test_serve_refuses_a_busy_port_with_one_line(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=serve_env(tmp_path, None),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert "choose another --port" in result.stderr
    assert "Traceback" not in result.stderr
