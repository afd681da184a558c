"""The arq worker's settings: which jobs and cron sweeps the notifications domain runs.

The shell (:mod:`app.worker_process`) adds the database connection and runs it; the
database is the source of truth, Redis only the doorbell.
"""

from __future__ import annotations

from typing import Any

from arq.cron import CronJob

QUEUE_NAME = "treffpunkt:queue"


class WorkerSettings:
    functions: list[Any] = []
    cron_jobs: list[CronJob] = []
    queue_name = QUEUE_NAME
    max_tries = 5
    job_timeout = 60
    keep_result = 3600
    health_check_interval = 30
