"""The doorbell: send jobs for new outbox rows, many rings in one call to Redis, nothing lost when Redis is down."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from arq import ArqRedis
from arq.jobs import Job, JobStatus
from httpx import AsyncClient as Client

from app import doorbell
from notifications.jobs import SEND_JOB, enqueue_sends, job_id
from notifications.tables import OutboxMessage
from tests.scheduling.test_registrations import a_session, phone, sign_up


@pytest.fixture
async def queue() -> AsyncIterator[ArqRedis]:
    """The doorbell's Redis with an empty queue (closed afterwards, so the next test's event loop opens its own)."""
    redis = await doorbell._arq()
    await redis.delete(redis.default_queue_name)
    # Jobs of earlier tests (whose workers sent rows with these ids) would count as already queued.
    async for key in redis.scan_iter(match="arq:*:send:*"):
        await redis.delete(key)
    yield redis
    await redis.delete(redis.default_queue_name)
    await doorbell.close_doorbell()


async def _queued(redis: ArqRedis) -> set[str]:
    return {member.decode() for member in await redis.zrange(redis.default_queue_name, 0, -1)}


async def test_every_ring_queues_one_send_job_per_message(queue: ArqRedis) -> None:
    doorbell.ring_soon([101, 102])
    doorbell.ring_soon([103])  # another request a moment later: the same call to Redis
    await doorbell.close_doorbell()  # rings what is still waiting
    assert await _queued(queue) == {job_id(n, 0, "bell") for n in (101, 102, 103)}
    job = Job(job_id(102, 0, "bell"), queue, _queue_name=queue.default_queue_name)
    assert await job.status() == JobStatus.queued
    info = await job.info()
    assert info is not None and info.function == SEND_JOB and info.args == (102,) and info.job_try is None


async def test_a_job_already_queued_is_left_alone_as_arq_would(queue: ArqRedis) -> None:
    assert await enqueue_sends(queue, [7, 8]) == 2
    assert await enqueue_sends(queue, [8, 9]) == 1
    assert await _queued(queue) == {job_id(n, 0, "bell") for n in (7, 8, 9)}


async def test_a_sign_up_rings_for_its_confirmation(client: Client, queue: ArqRedis) -> None:
    _, session, _ = await a_session(client)
    response = await sign_up(client, session["id"], phone=phone(1))
    assert response.status_code == 201
    await doorbell.close_doorbell()
    due = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.kind == "confirmed")
    assert len(due) == 1
    assert await _queued(queue) == {job_id(due[0]["id"], 0, "bell")}


async def test_redis_down_is_quiet_and_the_ringer_keeps_working(
    queue: ArqRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doorbell, "redis_url", lambda: "redis://127.0.0.1:1/0")  # nothing listens there
    await doorbell.close_doorbell()
    doorbell.ring_soon([201])
    await doorbell.close_doorbell()  # the ring failed quietly (the sweep will find the row)
    monkeypatch.undo()
    doorbell.ring_soon([202])
    await doorbell.close_doorbell()
    redis = await doorbell._arq()
    assert await _queued(redis) == {job_id(202, 0, "bell")}
