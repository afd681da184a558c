"""Run the arq worker and keep it running when Redis goes away and comes back."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import timedelta
from typing import Any, cast

from arq.connections import RedisSettings
from arq.cron import cron
from arq.worker import Worker, create_worker
from redis.exceptions import RedisError

from app import database
from app.auth.services import purge_expired_sessions
from app.logging import get_logger
from app.privacy.jobs import retention_job
from app.redis_client import redis_url
from app.settings import get_settings
from checkin.jobs import mark_no_shows_job
from notifications.outbox import subscribe_to_scheduling
from notifications.sending import Channels
from notifications.worker import WorkerSettings
from scheduling.jobs import extend_sessions_job

log = get_logger("treffpunkt.worker")
RECONNECT_DELAYS = (0.5, 1, 2, 5, 10)


async def _on_startup(ctx: dict[str, Any]) -> None:
    await database.open_pool()
    settings = get_settings()
    ctx["channels"] = Channels(
        smtp_url=settings.smtp_url,
        sms_url=settings.sms_url,
        base_url=settings.base_url,
        secret_key=settings.secret_key,
        default_language=settings.default_language,
    )


async def _on_shutdown(ctx: dict[str, Any]) -> None:
    await database.close_pool()


async def purge_sessions_job(ctx: dict[str, Any]) -> int:
    """Hourly: delete expired staff sessions and stale login failures."""
    return await purge_expired_sessions()


def build_worker() -> Worker:
    subscribe_to_scheduling()  # promotions and new series sessions made here write messages too
    settings = RedisSettings.from_dsn(redis_url())
    settings.conn_retries = 1
    settings.conn_timeout = 2
    cron_jobs = [
        *WorkerSettings.cron_jobs,
        cron(purge_sessions_job, minute={7}, unique=True, run_at_startup=False),
        cron(extend_sessions_job, hour={2}, minute={17}, unique=True, run_at_startup=True),
        cron(retention_job, hour={3}, minute={37}, unique=True, run_at_startup=False),
        cron(mark_no_shows_job, minute={23}, unique=True, run_at_startup=True),
    ]
    return create_worker(
        cast(Any, WorkerSettings),
        redis_settings=settings,
        cron_jobs=cron_jobs,
        on_startup=_on_startup,
        on_shutdown=_on_shutdown,
        handle_signals=False,
        job_timeout=timedelta(seconds=WorkerSettings.job_timeout),
    )


async def run_worker_forever() -> None:
    """Run the worker until SIGINT/SIGTERM, reconnecting with back-off whenever Redis drops."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    attempt = 0
    while not stop.is_set():
        worker = build_worker()
        run = asyncio.create_task(worker.async_run())
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({run, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if run in done and run.exception() is None:
            attempt = 0
        elif run in done:
            error = run.exception()
            delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
            attempt += 1
            log.warning("worker_lost_redis", error_type=type(error).__name__, retry_in_seconds=delay)
        else:
            delay = 0
        stopper.cancel()
        try:
            await worker.close()
        except (RedisError, OSError, asyncio.CancelledError):
            await database.close_pool()
        if not stop.is_set() and delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
    log.info("worker_stopped")


def main() -> None:
    asyncio.run(run_worker_forever())
