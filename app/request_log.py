"""One log line per request: method, path with tokens masked, status, duration. No query string."""

from __future__ import annotations

import time

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.logging import get_logger, redact_path

log = get_logger("treffpunkt.access")


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
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
            if scope["path"] != "/health" and not scope["path"].startswith("/static/"):
                log.info(
                    "request",
                    method=scope.get("method", ""),
                    path=redact_path(scope["path"]),
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
