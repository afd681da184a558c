"""The arq worker's settings: which jobs and cron sweeps the notifications domain runs.

The shell (:mod:`app.worker_process`) adds the database connection and runs it; the
database is the source of truth, Redis only the doorbell.
"""

from __future__ import annotations

from typing import Any

from arq.cron import CronJob, cron
from arq.worker import func

from notifications.jobs import send_message_job, sweep_outbox_job

QUEUE_NAME = "treffpunkt:queue"


class WorkerSettings:
    # keep_result=0: a finished job leaves no result behind, so the sweep may queue the
    # same row again later (e.g. a retry); a running job still blocks a duplicate.
    functions: list[Any] = [func(send_message_job, keep_result=0, max_tries=3, timeout=20)]
    cron_jobs: list[CronJob] = [
        cron(sweep_outbox_job, second=set(range(0, 60, 5)), unique=True, run_at_startup=True, keep_result=0)
    ]
    queue_name = QUEUE_NAME
    max_tries = 5
    job_timeout = 60
    keep_result = 3600
    health_check_interval = 30
