"""One log line per request: method, path with tokens masked, status, duration. No query string.

The line has the same shape as every other log line (``key=value``, or JSON with
``TREFFPUNKT_LOG_FORMAT=json``) but is written without structlog's processor chain:
that chain cost about 70 µs a line, more than a cached page takes to answer
(bench/README.md).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.logging import redact_path
from app.settings import get_settings

_UNLOGGED_PREFIXES = ("/static/",)


class _Clock:
    """ISO 8601 UTC timestamps like structlog's, formatting the seconds once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def stamp(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((now - second) * 1_000_000):06d}Z"


_clock = _Clock()


def format_line(method: str, path: str, status: int, ms: float, *, as_json: bool) -> str:
    timestamp = _clock.stamp()
    if as_json:
        return json.dumps(
            {
                "timestamp": timestamp,
                "level": "info",
                "event": "request",
                "method": method,
                "path": path,
                "status": status,
                "ms": ms,
            }
        )
    # repr() quotes and escapes like structlog's KeyValueRenderer: a path cannot forge a line.
    return (
        f"timestamp='{timestamp}' level='info' event='request' method={method!r} path={path!r} status={status} ms={ms}"
    )


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.enabled = getattr(logging, get_settings().log_level) <= logging.INFO
        self.as_json = os.environ.get("TREFFPUNKT_LOG_FORMAT", "").lower() == "json"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            # Raised here, answered by Litestar's exception handling around us.
            status = getattr(exc, "status_code", 500)
            raise
        finally:
            path = scope["path"]
            if path != "/health" and not path.startswith(_UNLOGGED_PREFIXES):
                ms = round((time.perf_counter() - started) * 1000, 1)
                line = format_line(str(scope.get("method", "")), redact_path(path), status, ms, as_json=self.as_json)
                sys.stderr.write(line + "\n")
