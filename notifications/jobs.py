"""arq jobs: send one outbox row (the doorbell), and sweep the outbox for due and stuck rows."""

from __future__ import annotations

from typing import Any

from arq import ArqRedis

from notifications.sending import Channels, deliver, due_message_ids

SEND_JOB = "send_message_job"


def job_id(message_id: int, attempts: int, source: str) -> str:
    """Deterministic, so a row is queued at most once per attempt by each source.

    The doorbell and the sweep use different ids: a doorbell job that died with its
    worker must not block the sweep from queueing the row again. Two queued jobs for
    one row are harmless: only one of them can claim it.
    """
    return f"send:{message_id}:{attempts}:{source}"


async def enqueue_send(redis: ArqRedis, message_id: int, attempts: int = 0, source: str = "bell") -> None:
    await redis.enqueue_job(SEND_JOB, message_id, _job_id=job_id(message_id, attempts, source))


async def send_message_job(ctx: dict[str, Any], message_id: int) -> str:
    channels: Channels = ctx["channels"]
    return await deliver(message_id, channels)


async def sweep_outbox_job(ctx: dict[str, Any]) -> int:
    """Every few seconds: queue what is due (reminders, retries, rows written while Redis was down)."""
    due = await due_message_ids()
    for message_id, attempts in due:
        await enqueue_send(ctx["redis"], message_id, attempts, source="sweep")
    return len(due)
