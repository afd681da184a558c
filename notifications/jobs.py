"""arq jobs: send one outbox row (the doorbell), send a block of rows, and sweep the outbox.

The web process rings the doorbell with one ``send_message_job`` per row it wrote, so a
confirmation leaves at once. Everything else (reminders that became due, retries, rows
written while Redis was down, claims of a worker that died) reaches a worker through the
sweep, which queues one ``send_block_job`` per block of ids holding due rows: a batch
that one job claims row by row and sends over the worker's open SMTP connections.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arq import ArqRedis
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms
from redis.commands.core import AsyncScript

from notifications.digest import write_host_digests
from notifications.sending import Channels, deliver, deliver_block, due_blocks

SEND_JOB = "send_message_job"
SEND_BLOCK_JOB = "send_block_job"


def job_id(message_id: int, attempts: int, source: str) -> str:
    """Deterministic, so the doorbell queues a row at most once per attempt.

    Two queued jobs for one row (the doorbell's and a block's) are harmless: only one of
    them can claim it.
    """
    return f"send:{message_id}:{attempts}:{source}"


def block_job_id(block: int) -> str:
    """One job per block at a time: while it is queued or running, the sweep's offer is dropped by arq."""
    return f"send-block:{block}"


async def enqueue_send(redis: ArqRedis, message_id: int, attempts: int = 0, source: str = "bell") -> None:
    await redis.enqueue_job(SEND_JOB, message_id, _job_id=job_id(message_id, attempts, source))


# arq's enqueue_job for many jobs in one round trip: a job whose id is queued, running or has a
# result is left alone (arq checks the same two keys, with WATCH); the others are stored and queued.
# KEYS: the queue, then each job's job key and result key; ARGV: score, expiry (ms), the jobs, their ids.
_ENQUEUE_MANY = """
local count = (#KEYS - 1) / 2
local queued = 0
for i = 1, count do
    if redis.call('exists', KEYS[2 * i], KEYS[2 * i + 1]) == 0 then
        redis.call('psetex', KEYS[2 * i], ARGV[2], ARGV[2 + i])
        redis.call('zadd', KEYS[1], ARGV[1], ARGV[2 + count + i])
        queued = queued + 1
    end
end
return queued
"""
_enqueue_many_script: AsyncScript | None = None


async def enqueue_sends(redis: ArqRedis, message_ids: Sequence[int], source: str = "bell") -> int:
    """Queue a first-attempt send job for each row, all in one round trip; returns how many were new."""
    if not message_ids:
        return 0
    now_ms = timestamp_ms()
    ids = [job_id(message_id, 0, source) for message_id in message_ids]
    jobs = [
        serialize_job(SEND_JOB, (message_id,), {}, None, now_ms, serializer=redis.job_serializer)
        for message_id in message_ids
    ]
    keys = [redis.default_queue_name]
    for one in ids:
        keys += [job_key_prefix + one, result_key_prefix + one]
    global _enqueue_many_script
    if _enqueue_many_script is None:
        _enqueue_many_script = redis.register_script(_ENQUEUE_MANY)  # EVALSHA, loading it when Redis lacks it
    queued = await _enqueue_many_script(keys=keys, args=[now_ms, redis.expires_extra_ms, *jobs, *ids], client=redis)
    return int(queued)


async def send_message_job(ctx: dict[str, Any], message_id: int) -> str:
    channels: Channels = ctx["channels"]
    return await deliver(message_id, channels)


async def send_block_job(ctx: dict[str, Any], block: int) -> dict[str, int]:
    channels: Channels = ctx["channels"]
    return await deliver_block(block, channels)


async def sweep_outbox_job(ctx: dict[str, Any]) -> int:
    """Every few seconds: queue a block job for every block with due rows. Returns the blocks offered."""
    blocks = await due_blocks()
    redis: ArqRedis = ctx["redis"]
    for block in blocks:
        await redis.enqueue_job(SEND_BLOCK_JOB, block, _job_id=block_job_id(block))
    return len(blocks)


async def host_digest_job(ctx: dict[str, Any]) -> int:
    """Every quarter hour: write today's host digests once it is 07:00 local time (the sweep sends them)."""
    return await write_host_digests()
