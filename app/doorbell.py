"""Ring the worker's doorbell after a request: queue a send job for each message it wrote.

The outbox rows were committed with the request's change; the job only says "look now".
If Redis is unreachable nothing is lost: the worker's sweep finds the rows when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from litestar.types import ASGIApp, Receive, Scope, Send

from app.logging import get_logger
from app.redis_client import redis_url
from notifications.jobs import enqueue_send
from notifications.outbox import doorbell
from notifications.worker import QUEUE_NAME

log = get_logger("treffpunkt.doorbell")
_pool: ArqRedis | None = None


async def _arq() -> ArqRedis:
    global _pool
    if _pool is None:
        settings = RedisSettings.from_dsn(redis_url())
        settings.conn_retries = 0
        settings.conn_timeout = 1
        _pool = await create_pool(settings, default_queue_name=QUEUE_NAME)
    return _pool


async def ring(message_ids: list[int]) -> None:
    global _pool
    try:
        pool = await asyncio.wait_for(_arq(), timeout=2)
        for message_id in message_ids:
            await asyncio.wait_for(enqueue_send(pool, message_id), timeout=2)
    except Exception as error:  # Redis down or slow: the sweep will send these
        log.warning("doorbell_unreachable", error_type=type(error).__name__, waiting=len(message_ids))
        broken, _pool = _pool, None
        if broken is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail too
                await broken.aclose()


async def close_doorbell() -> None:
    global _pool
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
                await ring(pending)
