"""Structured logging that never carries secrets, tokens or personal data.

Log lines are ``key=value`` (or JSON with ``TREFFPUNKT_LOG_FORMAT=json``). Request
paths are logged with personal tokens replaced by ``***``; query strings (which may
hold a name or a phone number) are never logged.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Path segments that carry a participant's personal token or a code.
_TOKEN_PATHS = re.compile(r"^(/r/|/ics/r/|/api/v1/registrations/|/host/invite/)([^/?.]+)")


def redact_path(path: str) -> str:
    return _TOKEN_PATHS.sub(lambda m: m.group(1) + "***", path)


_SECRET_KEYS = {"password", "token", "authorization", "cookie", "secret", "phone", "email", "name", "code"}


def _drop_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key in _SECRET_KEYS:
            event[key] = "***"
    return event


def configure_logging(level: str = "INFO") -> None:
    renderer: Any
    if os.environ.get("TREFFPUNKT_LOG_FORMAT", "").lower() == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"], drop_missing=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(
        level=getattr(logging, level), stream=sys.stderr, format="level=%(levelname)s logger=%(name)s event=%(message)r"
    )
    for noisy in ("piccolo", "asyncio", "aiosqlite", "arq.worker"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, getattr(logging, level)))


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
