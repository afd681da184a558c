"""Messages survive Redis outages and worker crashes: web and worker as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.embedded_redis import free_port, start_redis_process, wait_until_ready
from tests.e2e.processes import wait_for
from tests.notifications.helpers import Inbox, smtp_server

pytestmark = pytest.mark.slow


class System:
    """treffpunkt web + worker + a Redis we can stop, on a database of their own."""

    def __init__(self, tmp: Path, smtp_url: str, database_kind: str) -> None:
        self.tmp = tmp
        self.redis_port = free_port()
        self.web_port = free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TREFFPUNKT_")}
        self.env.update(
            {
                "TREFFPUNKT_DATABASE_URL": os.environ["TREFFPUNKT_DATABASE_URL"]
                if database_kind == "postgres"
                else f"sqlite:///{tmp}/e2e.sqlite3",
                "TREFFPUNKT_SECRET_KEY": "e2e-secret-key-for-delivery-tests-only",
                "TREFFPUNKT_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "TREFFPUNKT_SMTP_URL": smtp_url,
                "TREFFPUNKT_SIGNUP_RATE_LIMIT": "0",
                "TREFFPUNKT_OUTBOX_CLAIM_SECONDS": "3",
                "TREFFPUNKT_BASE_URL": self.base,
            }
        )
        self.redis: subprocess.Popen[bytes] | None = None
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, stdin: str = "") -> str:
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def start_redis(self) -> None:
        self.redis = start_redis_process(self.redis_port, self.tmp / "redis", stderr=subprocess.DEVNULL)
        wait_until_ready(self.redis_port)

    def stop_redis(self) -> None:
        assert self.redis is not None
        self.redis.terminate()
        self.redis.wait(timeout=10)

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.tmp / "worker.log", "a"),  # noqa: SIM115
        )

    def start_web(self) -> None:
        self.web = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "web", "--port", str(self.web_port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.tmp / "web.log", "a"),  # noqa: SIM115
        )
        assert wait_for(lambda: httpx.get(self.base + "/health", timeout=1).status_code == 200, 30)

    def stop(self) -> None:
        for process in (self.web, self.worker, self.redis):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    yield from smtp_server()


@pytest.fixture
def system(tmp_path: Path, smtp: tuple[str, Inbox], database_kind: str, db: None) -> Iterator[System]:
    running = System(tmp_path, smtp[0], database_kind)
    running.start_redis()
    running.cli("migrate")
    running.start_web()
    try:
        yield running
    finally:
        running.stop()


def _session(system: System) -> int:
    running_user = system.cli(
        "create-user", "--email", "c@example.org", "--role", "coordinator", stdin="a long password\n"
    )
    assert running_user.isdigit()
    token = system.cli("create-token", "--email", "c@example.org")
    body: dict[str, Any] = {
        "kind": "cafe",
        "title": {"de": "Café"},
        "start": "2027-10-07T16:00",
        "languages": ["de"],
        "capacity": None,
    }
    created = httpx.post(
        system.base + "/api/v1/activities", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert created.status_code == 201, created.text
    sessions = httpx.get(f"{system.base}/api/v1/activities/{created.json()['id']}/sessions", timeout=10).json()
    return int(sessions[0]["id"])


def _sign_up(system: System, session_id: int, n: int) -> httpx.Response:
    return httpx.post(
        f"{system.base}/api/v1/sessions/{session_id}/registrations",
        timeout=30,
        json={"name": f"Person {n}", "email": f"p{n}@example.org", "language": "de", "consent": True},
    )


def test_redis_down_loses_nothing_and_the_web_keeps_answering(system: System, smtp: tuple[str, Inbox]) -> None:
    _, inbox = smtp
    session_id = _session(system)
    system.start_worker()
    system.stop_redis()
    for n in range(5):
        assert _sign_up(system, session_id, n).status_code == 201
    health = httpx.get(system.base + "/health", timeout=5).json()
    assert health["status"] == "degraded" and health["database"]["ok"] is True
    time.sleep(1)
    assert inbox.messages == []
    system.start_redis()
    assert wait_for(lambda: len(inbox.messages) >= 5, 60), (system.tmp / "worker.log").read_text()[-2000:]
    time.sleep(2)
    assert sorted(m["To"] for m in inbox.messages) == sorted(f"p{n}@example.org" for n in range(5))


def test_a_killed_worker_loses_nothing(system: System, smtp: tuple[str, Inbox]) -> None:
    _, inbox = smtp
    session_id = _session(system)
    for n in range(30):
        assert _sign_up(system, session_id, n).status_code == 201
    system.start_worker()
    assert wait_for(lambda: len(inbox.messages) >= 1, 30)
    assert system.worker is not None
    system.worker.send_signal(signal.SIGKILL)
    system.worker.wait()
    system.start_worker()
    expected = {f"p{n}@example.org" for n in range(30)}
    assert wait_for(lambda: {m["To"] for m in inbox.messages} >= expected, 60), (
        len({m["To"] for m in inbox.messages}),
        (system.tmp / "worker.log").read_text()[-3000:],
    )
    # A message can only go out twice if the worker died between sending and recording it;
    # such a resend keeps its Message-ID, so the far side can drop it.
    by_address: dict[str, set[str]] = {}
    for message in inbox.messages:
        by_address.setdefault(message["To"], set()).add(message["Message-ID"])
    assert all(len(ids) == 1 for ids in by_address.values())
