"""A real SMTP server (aiosmtpd), a fake SMS gateway (a local HTTP server) and the real arq worker."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from arq.connections import RedisSettings
from arq.worker import create_worker

from app.embedded_redis import free_port
from notifications.sending import Channels
from notifications.worker import WorkerSettings


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def smtp_server(inbox: Inbox | None = None) -> Iterator[tuple[str, Inbox]]:
    inbox = inbox or Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


@dataclass
class Gateway:
    received: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False


def sms_gateway() -> Iterator[tuple[str, Gateway]]:
    gateway = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if gateway.fail:
                self.send_response(503)
            else:
                gateway.received.append(body)
                self.send_response(202)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sms", gateway
    finally:
        server.shutdown()


def channels(smtp_url: str | None = None, sms_url: str | None = None) -> Channels:
    from app.settings import get_settings

    settings = get_settings()
    return Channels(smtp_url=smtp_url, sms_url=sms_url, base_url=settings.base_url, secret_key=settings.secret_key)


async def run_worker_until_idle(redis_url: str, chosen: Channels) -> int:
    """The real arq worker in burst mode: runs the sweep once, then every queued job, then stops."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["channels"] = chosen

    worker = create_worker(
        WorkerSettings,  # type: ignore[arg-type]
        # Fresh copies: arq keeps each cron job's next run on the object, and a copy used by an
        # earlier run would wait for that time instead of sweeping at start-up. The hosts'
        # digest depends on the time of day: tests call it with a chosen time instead.
        cron_jobs=[
            dataclasses.replace(job, next_run=None)
            for job in WorkerSettings.cron_jobs
            if job.name != "cron:host_digest_job"
        ],
        redis_settings=RedisSettings.from_dsn(redis_url),
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
        on_startup=startup,
    )
    try:
        await worker.main()
        return worker.jobs_complete
    finally:
        await worker.close()
