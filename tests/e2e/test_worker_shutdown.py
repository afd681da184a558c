"""SIGTERM on a busy worker: it stops within a bound, and no message is lost or sent twice.

Real processes throughout: ``treffpunkt web``, ``treffpunkt worker``, redis-server and an
aiosmtpd server that takes a while per message, so sends are on the wire when the signal
comes. Redis is emptied after the sign-ups, so the worker finds the messages through its
sweep and sends them in block jobs, as it does with reminders.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.e2e.processes import wait_for
from tests.e2e.test_message_delivery import System, _session, _sign_up
from tests.notifications.helpers import Inbox, smtp_server

pytestmark = pytest.mark.slow

PEOPLE = 200
SECONDS_PER_MESSAGE = 0.1  # the server's pace: 4 connections give about 40 messages a second
STOP_BOUND_SECONDS = 12.0  # grace 4 s + cancelled sends 4 s + closing; serve waits 10 s, then SIGKILL


class SlowInbox(Inbox):
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(SECONDS_PER_MESSAGE)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp() -> Iterator[tuple[str, Inbox]]:
    yield from smtp_server(SlowInbox())


@pytest.fixture
def system(tmp_path: Path, slow_smtp: tuple[str, Inbox], database_kind: str, db: None) -> Iterator[System]:
    running = System(tmp_path, slow_smtp[0], database_kind)
    # Long enough that a claim left behind by the stopped worker would not expire during the test.
    running.env["TREFFPUNKT_OUTBOX_CLAIM_SECONDS"] = "120"
    running.start_redis()
    running.cli("migrate")
    running.start_web()
    try:
        yield running
    finally:
        running.stop()


def _outbox(system: System, token: str, status: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{system.base}/api/v1/outbox",
        params={"status": status, "limit": 500},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return [row for row in response.json() if row["kind"] == "confirmed"]


def test_sigterm_mid_batch_stops_in_time_and_every_message_goes_out_once(
    system: System, slow_smtp: tuple[str, Inbox]
) -> None:
    _, inbox = slow_smtp
    session_id = _session(system)
    token = system.cli("create-token", "--email", "c@example.org")
    for n in range(PEOPLE):
        assert _sign_up(system, session_id, n).status_code == 201
    redis.Redis(port=system.redis_port).flushdb()  # drop the doorbell's jobs: only the sweep finds them now

    system.start_worker()
    assert wait_for(lambda: len(inbox.messages) >= 20, 60), (system.tmp / "worker.log").read_text()[-3000:]
    assert system.worker is not None
    signalled = time.monotonic()
    system.worker.send_signal(signal.SIGTERM)
    code = system.worker.wait(timeout=60)
    took = time.monotonic() - signalled
    log = (system.tmp / "worker.log").read_text()
    assert code == 0, log[-3000:]
    assert took < STOP_BOUND_SECONDS, (took, log[-3000:])
    assert "worker_stopped" in log
    assert "worker_stopping" in log, "no job was running at the signal: the test did not reach its point"
    assert "pool is closing" not in log and "InterfaceError" not in log
    stopped_with = len(inbox.messages)
    assert stopped_with < PEOPLE, "the worker had finished before the signal: nothing was tested"
    # Every send the stopped worker began has its outcome recorded; nothing waits for a claim to expire.
    assert _outbox(system, token, "sending") == [], log[-3000:]
    assert len(_outbox(system, token, "sent")) == stopped_with

    system.start_worker()
    expected = {f"p{n}@example.org" for n in range(PEOPLE)}
    assert wait_for(lambda: {m["To"] for m in inbox.messages} >= expected, 120), (
        len(inbox.messages),
        (system.tmp / "worker.log").read_text()[-3000:],
    )
    time.sleep(6)  # longer than a sweep: a late duplicate would arrive now
    ids = Counter(m["Message-ID"] for m in inbox.messages)
    assert len(inbox.messages) == PEOPLE
    assert all(count == 1 for count in ids.values())
    assert len(_outbox(system, token, "sent")) == PEOPLE
