"""Run the arq worker, keep it running when Redis goes away, and stop it without losing track of a message.

Stopping (SIGTERM or SIGINT) is graceful, in this order:

1. no new job is taken (``allow_pick_jobs``), queued jobs stay in Redis for the next worker;
2. running jobs get ``STOP_GRACE_SECONDS`` to finish: a send job finishes the message in hand and
   gives back the rows it has not begun (``Channels.stopping``), so it normally ends here;
3. the ones still running are cancelled: a send job gives back the rows it had not handed
   to the server yet and lets a message already on the wire finish (bounded, see
   ``notifications.sending``), then records the outcome;
4. only then are Redis, the SMTP connections and the database pool closed, each bounded.

A second signal skips the rest of the grace period. The whole stop takes at most
``STOP_GRACE_SECONDS + CANCEL_WAIT_SECONDS`` (8 s) plus the closing, which is instant unless
a peer hangs (then ``CLOSE_SECONDS`` each): within the 10 s that ``treffpunkt serve`` (and
most process managers) wait before SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from datetime import timedelta
from typing import Any, cast

from arq.connections import RedisSettings
from arq.cron import cron
from arq.worker import Worker, create_worker

from app import database
from app.auth.services import purge_expired_sessions
from app.logging import get_logger
from app.privacy.jobs import retention_job
from app.redis_client import redis_url
from app.settings import get_settings
from checkin.jobs import mark_no_shows_job
from notifications.outbox import subscribe_to_scheduling
from notifications.sending import STOP_WAIT_SECONDS, Channels
from notifications.smtp import SmtpPool
from notifications.worker import SMTP_CONNECTIONS, WorkerSettings
from scheduling.jobs import extend_sessions_job

log = get_logger("treffpunkt.worker")
RECONNECT_DELAYS = (0.5, 1, 2, 5, 10)
STOP_GRACE_SECONDS = 4.0  # running jobs may finish on their own
CANCEL_WAIT_SECONDS = STOP_WAIT_SECONDS + 1.0  # cancelled jobs record what they sent
CLOSE_SECONDS = 2.0  # each of: Redis, SMTP, the database pool


async def _on_startup(ctx: dict[str, Any]) -> None:
    await database.open_pool()
    settings = get_settings()
    ctx["channels"] = Channels(
        smtp_url=settings.smtp_url,
        sms_url=settings.sms_url,
        base_url=settings.base_url,
        secret_key=settings.secret_key,
        default_language=settings.default_language,
        mailer=SmtpPool(settings.smtp_url, size=SMTP_CONNECTIONS) if settings.smtp_url else None,
    )


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
        handle_signals=False,  # ours: see stop_worker
        job_timeout=timedelta(seconds=WorkerSettings.job_timeout),
    )


def _running(worker: Worker) -> set[asyncio.Task[Any]]:
    return {task for task in worker.tasks.values() if not task.done()}


async def _wait(tasks: set[asyncio.Task[Any]], seconds: float, hurry: asyncio.Event | None = None) -> None:
    """Wait until ``tasks`` are done, ``seconds`` pass, or ``hurry`` is set."""
    if not tasks:
        return
    waiters: set[asyncio.Future[Any]] = set(tasks)
    hurried = asyncio.ensure_future(hurry.wait()) if hurry is not None else None
    if hurried is not None:
        waiters.add(hurried)
    try:
        deadline = asyncio.get_running_loop().time() + seconds
        while tasks - {t for t in tasks if t.done()}:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0 or (hurried is not None and hurried.done()):
                return
            await asyncio.wait(waiters, timeout=left, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if hurried is not None:
            hurried.cancel()


async def stop_worker(worker: Worker, run: asyncio.Task[None], hurry: asyncio.Event | None = None) -> None:
    """Stop ``worker`` gracefully (see the module docstring); never waits unboundedly."""
    worker.allow_pick_jobs = False
    channels = worker.ctx.get("channels")
    if isinstance(channels, Channels):
        channels.stopping.set()  # jobs finish the message in hand and give their other rows back
    running = _running(worker)
    if running:
        log.info("worker_stopping", running_jobs=len(running), grace_seconds=STOP_GRACE_SECONDS)
    await _wait(running, STOP_GRACE_SECONDS, hurry)
    running = _running(worker)
    if running:
        log.info("worker_cancelling_jobs", running_jobs=len(running))
        for task in running:
            task.cancel()
        await _wait(running, CANCEL_WAIT_SECONDS)
    left = _running(worker)
    if left:
        log.warning("worker_jobs_abandoned", jobs=len(left))
    run.cancel()
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(run, CLOSE_SECONDS)
    if not left:
        worker.tasks.clear()  # all done; close() would re-raise a finished job's error
        with contextlib.suppress(BaseException):  # Redis may be the reason we stop
            await asyncio.wait_for(worker.close(), CLOSE_SECONDS)
    if isinstance(channels, Channels) and channels.mailer is not None:
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(channels.mailer.close(), CLOSE_SECONDS)
    if "channels" in worker.ctx:  # on_startup ran: the database pool is ours to close
        await _close_database()


async def _close_database() -> None:
    """Close the pool; a connection a stuck job never gave back must not keep us from exiting."""
    try:
        await asyncio.wait_for(database.close_pool(), CLOSE_SECONDS)
    except (TimeoutError, asyncio.CancelledError):
        pool = getattr(database.engine(), "pool", None)
        if pool is not None:
            pool.terminate()
        log.warning("worker_database_pool_terminated")


async def run_worker_forever() -> None:
    """Run the worker until SIGINT/SIGTERM, reconnecting with back-off whenever Redis drops."""
    stop = asyncio.Event()
    hurry = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            hurry.set()  # a second signal: no more waiting for running jobs
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    attempt = 0
    abandoned = False
    while not stop.is_set():
        worker = build_worker()
        run = asyncio.create_task(worker.async_run())
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({run, stopper}, return_when=asyncio.FIRST_COMPLETED)
        delay: float = 0
        if run in done and not run.cancelled() and run.exception() is None:
            attempt = 0
        elif run in done:
            error = run.exception() if not run.cancelled() else None
            delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
            attempt += 1
            log.warning("worker_lost_redis", error_type=type(error).__name__, retry_in_seconds=delay)
        stopper.cancel()
        await stop_worker(worker, run, hurry)
        abandoned = abandoned or bool(_running(worker))
        if not stop.is_set() and delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
    log.info("worker_stopped")
    if abandoned:
        # A job ignored cancellation; asyncio.run would wait for it forever. Its rows'
        # claims expire and are retried (docs/notifications.md).
        os._exit(1)


def main() -> None:
    """Run on uvloop when it is installed (it comes with ``litestar[standard]``), else plain asyncio.

    The worker's time goes mostly into small socket reads and writes (SMTP, PostgreSQL,
    Redis); uvloop's event loop and transports do them for about a third less CPU per
    message (bench/README.md, "Reminders").
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows, or a minimal installation
        asyncio.run(run_worker_forever())
    else:
        uvloop.run(run_worker_forever())
