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
import re
import socket
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast
from urllib.parse import unquote, urlsplit

import aiosmtplib

# A session is closed after this many messages or this long unused, before servers
# (which drop idle sessions after a few minutes) do it for us.
MESSAGES_PER_CONNECTION = 500
IDLE_SECONDS = 60.0
TIMEOUT_SECONDS = 15.0
MAX_REPLY_BYTES = 64 * 1024
_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")  # no CR, LF or other control character inside a command

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


class _Session(asyncio.Protocol):
    """The sending half of one SMTP session, after aiosmtplib has set it up.

    aiosmtplib connects, greets, upgrades to TLS and logs in; then this protocol takes
    over the transport (``set_protocol``) for the messages. aiosmtplib reads one reply per
    command and cannot pipeline; this one keeps a queue of parsed replies, so the
    envelope and ``DATA`` go out in one write when the server offers ``PIPELINING``
    (RFC 2920) and their replies are read in order.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._replies: deque[tuple[int, str]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._lost: BaseException | None = None
        self._writable = asyncio.Event()
        self._writable.set()

    def take_over(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.set_protocol(self)

    @property
    def is_connected(self) -> bool:
        return self.transport is not None and self._lost is None and not self.transport.is_closing()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        start = 0
        lines: list[bytes] = []
        while (end := self._buffer.find(b"\n", start)) >= 0:
            line = bytes(self._buffer[start : end + 1])
            start = end + 1
            lines.append(line)
            if line[3:4] == b"-":
                continue  # a reply goes on: "250-…" lines, then a last "250 …" (RFC 5321, 4.2.1)
            try:
                code = int(line[:3])
            except ValueError:
                self._fail(aiosmtplib.SMTPResponseException(-1, "malformed reply from the SMTP server"))
                return
            self._replies.append((code, "\n".join(part[4:].strip().decode("utf-8", "replace") for part in lines)))
            lines = []
            del self._buffer[:start]
            start = 0
        if len(self._buffer) > MAX_REPLY_BYTES:
            self._fail(aiosmtplib.SMTPResponseException(-1, "reply from the SMTP server too long"))
        self._wake()

    def _fail(self, error: BaseException) -> None:
        self._lost = error
        if self.transport is not None:
            self.transport.close()
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def eof_received(self) -> bool:
        self._fail(aiosmtplib.SMTPServerDisconnected("the server closed the connection"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._lost is None:
            error = aiosmtplib.SMTPServerDisconnected("connection lost")
            error.__cause__ = exc
            self._lost = error
        self._writable.set()
        self._wake()

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    async def write(self, data: bytes) -> None:
        if not self.is_connected:
            raise self._lost or aiosmtplib.SMTPServerDisconnected("not connected")
        assert self.transport is not None
        self.transport.write(data)
        if not self._writable.is_set():  # the server reads slower than we write: wait (bounded)
            try:
                async with asyncio.timeout(TIMEOUT_SECONDS):
                    await self._writable.wait()
            except TimeoutError as error:
                raise aiosmtplib.SMTPTimeoutError("the SMTP server does not read") from error

    async def reply(self) -> tuple[int, str]:
        """The next reply, in the order the commands were sent."""
        while not self._replies:
            if self._lost is not None:
                raise self._lost
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(TIMEOUT_SECONDS):
                    await self._waiter
            except TimeoutError as error:
                raise aiosmtplib.SMTPTimeoutError("no reply from the SMTP server") from error
            finally:
                self._waiter = None
        return self._replies.popleft()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


@dataclass
class _Connection:
    session: _Session
    pipelining: bool
    messages: int = 0
    last_used: float = 0.0


def _check(reply: tuple[int, str], expected: int, command: str) -> None:
    """Raise what aiosmtplib would for an unexpected reply (without the addresses: errors reach logs)."""
    code, text = reply
    if code == expected:
        return
    if command == "MAIL":
        raise aiosmtplib.SMTPSenderRefused(code, text, "")
    if command == "RCPT":
        raise aiosmtplib.SMTPRecipientRefused(code, text, "")
    raise aiosmtplib.SMTPDataError(code, text)


def _data(content: bytes) -> bytes:
    """The message as sent after ``DATA``: CRLF line ends, leading dots doubled, ended by ``.``."""
    if content.count(b"\n") != content.count(b"\r\n") or content.count(b"\r") != content.count(b"\r\n"):
        content = _LINE_END.sub(b"\r\n", content)
    if content.startswith(b".") or b"\n." in content:
        content = _LEADING_DOT.sub(b"..", content)
    if not content.endswith(b"\r\n"):
        content += b"\r\n"
    return content + b".\r\n"


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
        try:
            if client.is_ehlo_or_helo_needed:  # smtps:// without a login greets nobody on connect
                await client.ehlo()
            assert client.transport is not None
        except BaseException:
            client.close()
            raise
        session = _Session()
        session.take_over(client.transport)
        self.opened += 1
        return _Connection(session, pipelining=client.supports_extension("pipelining"))

    def _take_idle(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if connection.session.is_connected and now - connection.last_used < IDLE_SECONDS:
                return connection
            connection.session.close()
        return None

    async def send(self, sender: str, recipients: Sequence[str], content: bytes, handover: Handover) -> None:
        """Send one message (already flattened to bytes). Raises on any failure; sets ``handover.started``."""
        data = _data(content)
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
                    connection.session.close()  # the server had dropped it; nothing was handed over yet
                    connection = await self._open()
                    await self._envelope(connection, sender, recipients)
                handover.started = True
                await connection.session.write(data)
                _check(await connection.session.reply(), 250, "end of DATA")
                ok = True
            finally:
                if ok and connection.messages + 1 < MESSAGES_PER_CONNECTION:
                    connection.messages += 1
                    connection.last_used = time.monotonic()
                    self._idle.append(connection)
                else:
                    # An error or a cancellation mid-transaction: closing aborts it (the
                    # server discards a message whose DATA did not end), never reused.
                    connection.session.close()

    @staticmethod
    async def _envelope(connection: _Connection, sender: str, recipients: Sequence[str]) -> None:
        """``MAIL``, ``RCPT`` for each recipient, ``DATA``: one write when pipelining, else one at a time."""
        international = not (sender.isascii() and all(recipient.isascii() for recipient in recipients))
        # An internationalised address (RFC 6531): the server must offer SMTPUTF8, else it refuses.
        option = " SMTPUTF8" if international else ""
        commands = [
            (f"MAIL FROM:<{sender}>{option}\r\n", 250, "MAIL"),
            *((f"RCPT TO:<{recipient}>\r\n", 250, "RCPT") for recipient in recipients),
            ("DATA\r\n", 354, "DATA"),
        ]
        for command, _, _ in commands:
            if _FORBIDDEN.search(command[:-2]):
                raise ValueError("an address holds a line break or another control character")
        session = connection.session
        if connection.pipelining:
            await session.write("".join(command for command, _, _ in commands).encode("utf-8"))
            replies = [await session.reply() for _ in commands]  # read them all, then judge in order
            for reply, (_, expected, name) in zip(replies, commands, strict=True):
                _check(reply, expected, name)
            return
        for command, expected, name in commands:
            await session.write(command.encode("utf-8"))
            _check(await session.reply(), expected, name)

    async def close(self) -> None:
        """Say goodbye to the server on every idle session (bounded), then drop them."""
        idle, self._idle = self._idle, []
        for connection in idle:
            try:
                await asyncio.wait_for(self._quit(connection.session), timeout=2)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                pass
            finally:
                connection.session.close()

    @staticmethod
    async def _quit(session: _Session) -> None:
        await session.write(b"QUIT\r\n")
        await session.reply()
