"""SMTP connections that stay open between messages: a small pool per worker process.

Opening a connection costs more than sending a short message (TCP, greeting, EHLO,
possibly TLS and login), so a worker keeps up to ``size`` sessions open and sends one
message after another over each. A connection that fails or is interrupted is thrown
away, never reused. When a *reused* connection turns out to be dead before the message
was handed over (the server dropped an idle session), the message is tried once more
on a fresh connection; that is safe because nothing was delivered yet.

``Handover`` tells the caller how far a send got: once ``DATA`` has started, the server
may have the message even if we never hear its answer. That is the one moment where
SMTP itself cannot promise exactly-once (see docs/notifications.md).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aiosmtplib

# A session is closed after this many messages or this long unused, before servers
# (which drop idle sessions after a few minutes) do it for us.
MESSAGES_PER_CONNECTION = 500
IDLE_SECONDS = 60.0
TIMEOUT_SECONDS = 15.0

_local_hostname: str | None = None


def local_hostname() -> str:
    """The name we greet servers with (``EHLO``), looked up once per process, not per connection."""
    global _local_hostname
    if _local_hostname is None:
        _local_hostname = socket.getfqdn() or "localhost"
    return _local_hostname


@dataclass
class Handover:
    """How far one send got; ``started`` becomes true just before the message is handed over (``DATA``)."""

    started: bool = False


@dataclass
class _Connection:
    client: aiosmtplib.SMTP
    messages: int = 0
    last_used: float = 0.0


class SmtpPool:
    """Up to ``size`` open SMTP sessions to the server in ``smtp_url`` (``smtp://`` or ``smtps://``)."""

    def __init__(self, smtp_url: str, size: int = 4) -> None:
        parts = urlsplit(smtp_url)
        self.hostname = parts.hostname or "localhost"
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.use_tls = parts.scheme == "smtps"
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(size)
        self.opened = 0  # connections opened so far (for tests and the benchmark)

    async def _open(self) -> _Connection:
        client = aiosmtplib.SMTP(
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=None,  # STARTTLS when the server offers it
            timeout=TIMEOUT_SECONDS,
            local_hostname=local_hostname(),
        )
        await client.connect()
        self.opened += 1
        return _Connection(client)

    def _take_idle(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if connection.client.is_connected and now - connection.last_used < IDLE_SECONDS:
                return connection
            connection.client.close()
        return None

    async def send(self, sender: str, recipients: Sequence[str], content: bytes, handover: Handover) -> None:
        """Send one message (already flattened to bytes). Raises on any failure; sets ``handover.started``."""
        async with self._slots:
            connection = self._take_idle()
            reused = connection is not None
            if connection is None:
                connection = await self._open()
            ok = False
            try:
                try:
                    await self._envelope(connection, sender, recipients)
                except (aiosmtplib.SMTPServerDisconnected, ConnectionError, aiosmtplib.SMTPTimeoutError):
                    if not reused:
                        raise
                    connection.client.close()  # the server had dropped it; nothing was handed over yet
                    connection = await self._open()
                    await self._envelope(connection, sender, recipients)
                handover.started = True
                await connection.client.data(content)
                ok = True
            finally:
                if ok and connection.messages + 1 < MESSAGES_PER_CONNECTION:
                    connection.messages += 1
                    connection.last_used = time.monotonic()
                    self._idle.append(connection)
                else:
                    connection.client.close()

    @staticmethod
    async def _envelope(connection: _Connection, sender: str, recipients: Sequence[str]) -> None:
        if sender.isascii() and all(recipient.isascii() for recipient in recipients):
            await connection.client.mail(sender)
            for recipient in recipients:
                await connection.client.rcpt(recipient)
            return
        # An internationalised address (RFC 6531): the server must offer SMTPUTF8, else it refuses.
        await connection.client.mail(sender, options=["SMTPUTF8"], encoding="utf-8")
        for recipient in recipients:
            await connection.client.rcpt(recipient, encoding="utf-8")

    async def close(self) -> None:
        """Say goodbye to the server on every idle session (bounded), then drop them."""
        idle, self._idle = self._idle, []
        for connection in idle:
            try:
                await asyncio.wait_for(connection.client.quit(), timeout=2)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                connection.client.close()
