"""Ring the worker's doorbell after a request: queue a send job for each message it wrote.

The outbox rows were committed with the request's change; the job only says "look now".
If Redis is unreachable nothing is lost: the worker's sweep finds the rows when it is back.

Rings are coalesced within the process: a request hands its ids to one ringer task and
returns; the ringer waits a moment (``RING_DELAY_SECONDS``) and queues everything that has
arrived by then, and whatever arrives during that call, in one round trip each
(:func:`notifications.jobs.enqueue_sends`). Under load that is one call to Redis for many
sign-ups instead of three per message. Ids still waiting when the process dies are found by the sweep, like rows written
while Redis was down; on shutdown :func:`close_doorbell` rings them first.
"""

from __future__ import annotations

import asyncio
import contextlib

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from litestar.types import ASGIApp, Receive, Scope, Send

from app.logging import get_logger
from app.redis_client import redis_url
from notifications.jobs import enqueue_sends
from notifications.outbox import doorbell
from notifications.worker import QUEUE_NAME

log = get_logger("treffpunkt.doorbell")
_pool: ArqRedis | None = None
_waiting: list[int] = []
_ringer: asyncio.Task[None] | None = None
# How long the ringer gathers ids before it calls Redis: invisible next to sending an e-mail,
# and under load it turns a call per request into a call per few dozen requests.
RING_DELAY_SECONDS = 0.02


async def _arq() -> ArqRedis:
    global _pool
    if _pool is None:
        settings = RedisSettings.from_dsn(redis_url())
        settings.conn_retries = 0
        settings.conn_timeout = 1
        _pool = await create_pool(settings, default_queue_name=QUEUE_NAME)
    return _pool


async def ring(message_ids: list[int]) -> None:
    """Queue a send job for each id now, in one round trip (a failure is logged, never raised)."""
    global _pool
    try:
        pool = await asyncio.wait_for(_arq(), timeout=2)
        await asyncio.wait_for(enqueue_sends(pool, message_ids), timeout=2)
    except Exception as error:  # Redis down or slow: the sweep will send these
        log.warning("doorbell_unreachable", error_type=type(error).__name__, waiting=len(message_ids))
        broken, _pool = _pool, None
        if broken is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail too
                await broken.aclose()


async def _ring_waiting(delay: float = 0.0) -> None:
    await asyncio.sleep(delay)
    while _waiting:
        batch = _waiting[:]
        _waiting.clear()
        await ring(batch)


def ring_soon(message_ids: list[int]) -> None:
    """Hand ids to this process's ringer (started if it is not running) and return at once."""
    global _ringer
    _waiting.extend(message_ids)
    loop = asyncio.get_running_loop()
    if _ringer is None or _ringer.done() or _ringer.get_loop() is not loop:
        _ringer = loop.create_task(_ring_waiting(RING_DELAY_SECONDS))


async def close_doorbell() -> None:
    global _pool, _ringer
    ringer, _ringer = _ringer, None
    if ringer is not None and not ringer.done() and ringer.get_loop() is asyncio.get_running_loop():
        with contextlib.suppress(Exception):
            await ringer
    if _waiting:
        await _ring_waiting()
    if _pool is not None:
        await _pool.aclose()
        _pool = None


class DoorbellMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        pending: list[int] = []
        token = doorbell.set(pending)
        try:
            await self.app(scope, receive, send)
        finally:
            doorbell.reset(token)
            if pending:
                ring_soon(pending)
