"""The arq worker's settings: which jobs and cron sweeps the notifications domain runs.

The shell (:mod:`app.worker_process`) adds the database connection, the SMTP connection
pool and graceful stopping, and runs it; the database is the source of truth, Redis only
the doorbell.
"""

from __future__ import annotations

from typing import Any

from arq.cron import CronJob, cron
from arq.worker import func

from notifications.jobs import host_digest_job, send_block_job, send_message_job, sweep_outbox_job

QUEUE_NAME = "treffpunkt:queue"
SMTP_CONNECTIONS = 8  # open SMTP sessions per worker process (at most max_jobs are busy at once)


class WorkerSettings:
    # keep_result=0: a finished job leaves no result behind, so the sweep may queue the
    # same block again later (e.g. a retry); a queued or running job still blocks a duplicate.
    functions: list[Any] = [
        func(send_message_job, keep_result=0, max_tries=3, timeout=30),
        # A block job stops taking rows after half the claim timeout by itself; this bounds the rest.
        func(send_block_job, keep_result=0, max_tries=3, timeout=300),
    ]
    cron_jobs: list[CronJob] = [
        cron(sweep_outbox_job, second=set(range(0, 60, 5)), unique=True, run_at_startup=True, keep_result=0),
        # From 07:00 in the project's time zone; a worker that was down then catches up at its next run.
        cron(host_digest_job, minute={0, 15, 30, 45}, unique=True, run_at_startup=True, keep_result=0),
    ]
    queue_name = QUEUE_NAME
    max_tries = 5
    job_timeout = 60
    keep_result = 3600
    health_check_interval = 30
    # Poll Redis for new jobs every 0.1 s instead of arq's 0.5 s: a free slot is refilled
    # sooner (bench/README.md), at the cost of ten cheap Redis calls a second.
    poll_delay = 0.1
    max_jobs = 10
