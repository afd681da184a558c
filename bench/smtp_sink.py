"""A local SMTP sink for ``bench/reminders.py``: accepts every message and records it.

Run as its own process (``python bench/smtp_sink.py --port N --out DIR``), so its work
does not share a GIL with the load it measures (the raw ``aiosmtplib`` baseline runs in
the benchmark process). It listens on 127.0.0.1, on uvloop when it is installed.

It is a small SMTP server of its own (RFC 5321), not aiosmtpd: aiosmtpd needed about
1 ms of CPU per message here, as much as half the worker it measured, so on a 2-core
machine the sink was part of what the benchmark measured. This one needs a tenth of
that. It still speaks the protocol properly to a real client: the greeting, ``EHLO``
(offering ``PIPELINING``, ``8BITMIME``, ``SMTPUTF8`` and ``SIZE``) or ``HELO``, then
``MAIL``, ``RCPT``, ``DATA`` in that order (a command out of order gets ``503``),
``RSET``, ``NOOP``, ``QUIT``, ``VRFY``, dot-unstuffing of the message, ``552`` for a
message over the size limit, ``500`` for an unknown command or an over-long line.
Pipelined commands (RFC 2920) are answered in order, with one write for all the answers
to what arrived in one read.

For every message it appends one line ``<unix time> <Message-ID> <bytes>`` to
``DIR/received.log`` and the raw message (as the client meant it, dots unstuffed),
length-prefixed (``<bytes>\\n<raw>``), to ``DIR/received.raw``; both are flushed after
every read that completed a message, so the benchmark can count them while the run is
going on. SIGTERM/SIGINT stop it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import time
from pathlib import Path
from typing import IO, cast

HOST = "127.0.0.1"
NAME = b"sink.invalid"
MAX_SIZE = 32 * 1024 * 1024
MAX_LINE = 4096  # RFC 5321 allows 512 for commands; be lenient, but bounded
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
_EHLO = b"250-" + NAME + b"\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-SIZE %d\r\n250 HELP\r\n" % MAX_SIZE
_END_OF_DATA = b"\r\n.\r\n"
_STUFFED = re.compile(rb"^\.", re.MULTILINE)


class Recorder:
    """The two files every connection appends to."""

    def __init__(self, out: Path) -> None:
        self.log: IO[bytes] = (out / "received.log").open("ab")
        self.raw: IO[bytes] = (out / "received.raw").open("ab")

    def record(self, content: bytes) -> None:
        head = content.split(b"\r\n\r\n", 1)[0]
        found = _MESSAGE_ID.search(head)
        message_id = found.group(1) if found else b"-"
        self.raw.write(b"%d\n" % len(content))
        self.raw.write(content)
        self.log.write(b"%.6f %s %d\n" % (time.time(), message_id, len(content)))

    def flush(self) -> None:
        self.raw.flush()
        self.log.flush()

    def close(self) -> None:
        self.log.close()
        self.raw.close()


class SmtpSession(asyncio.Protocol):
    """One client connection: a command loop, then the message while in ``DATA``."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.greeted = False
        self.sender: bytes | None = None
        self.recipients = 0
        self.in_data = False
        self.too_big = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass, so no isinstance
        self.transport.write(b"220 " + NAME + b" ESMTP bench sink\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None  # a message cut off in DATA is discarded, as RFC 5321 says

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        replies: list[bytes] = []
        recorded = False
        close = False
        while self.buffer and not close:
            if self.in_data:
                message = self._take_message()
                if message is None:
                    break
                if self.too_big:
                    replies.append(b"552 5.3.4 message too big\r\n")
                else:
                    self.recorder.record(message)
                    recorded = True
                    replies.append(b"250 2.0.0 OK\r\n")
                self._reset()
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                if len(self.buffer) > MAX_LINE:
                    replies.append(b"500 5.5.2 line too long\r\n")
                    close = True
                break
            line = bytes(self.buffer[:end])
            del self.buffer[: end + 2]
            reply, close = self._command(line)
            replies.append(reply)
        if recorded:
            self.recorder.flush()
        if replies and self.transport is not None:
            self.transport.write(b"".join(replies))
            if close:
                self.transport.close()

    def _take_message(self) -> bytes | None:
        """The message once its end has arrived, else ``None``; one over ``MAX_SIZE`` is not kept whole."""
        if self.buffer.startswith(b".\r\n") and not self.too_big:  # an empty message
            del self.buffer[:3]
            return b""
        end = self.buffer.find(_END_OF_DATA)
        if end < 0:
            if len(self.buffer) > MAX_SIZE:
                self.too_big = True  # keep reading to the end, but only the tail (the end may straddle reads)
                del self.buffer[: len(self.buffer) - len(_END_OF_DATA)]
            return None
        content = bytes(self.buffer[: end + 2])
        del self.buffer[: end + len(_END_OF_DATA)]
        if len(content) > MAX_SIZE:
            self.too_big = True
        if self.too_big:
            return b""  # refused by the caller (``too_big``)
        if content.startswith(b".") or b"\n." in content:
            content = _STUFFED.sub(b"", content)  # ``..`` at a line start was the client's ``.``
        return content

    def _reset(self) -> None:
        self.sender = None
        self.recipients = 0
        self.in_data = False
        self.too_big = False

    def _command(self, line: bytes) -> tuple[bytes, bool]:
        """The reply to one command line, and whether to close the connection after it."""
        verb = line[:4].upper()
        argument = line[4:].strip()
        if len(line) > MAX_LINE:
            return b"500 5.5.2 line too long\r\n", False
        if verb == b"EHLO" and argument:
            self.greeted = True
            self._reset()
            return _EHLO, False
        if verb == b"HELO" and argument:
            self.greeted = True
            self._reset()
            return b"250 " + NAME + b"\r\n", False
        if verb in (b"EHLO", b"HELO"):
            return b"501 5.5.4 a domain or address literal is required\r\n", False
        if verb == b"MAIL":
            if not self.greeted:
                return b"503 5.5.1 EHLO first\r\n", False
            if self.sender is not None:
                return b"503 5.5.1 nested MAIL command\r\n", False
            if not argument.upper().startswith(b"FROM:"):
                return b"501 5.5.4 syntax: MAIL FROM:<address>\r\n", False
            self.sender = argument[5:].strip()
            return b"250 2.1.0 OK\r\n", False
        if verb == b"RCPT":
            if self.sender is None:
                return b"503 5.5.1 MAIL first\r\n", False
            if not argument.upper().startswith(b"TO:") or not argument[3:].strip():
                return b"501 5.5.4 syntax: RCPT TO:<address>\r\n", False
            self.recipients += 1
            return b"250 2.1.5 OK\r\n", False
        if verb == b"DATA" and not argument:
            if self.sender is None:
                return b"503 5.5.1 MAIL first\r\n", False
            if not self.recipients:
                return b"554 5.5.1 no valid recipients\r\n", False
            self.in_data = True
            return b"354 end data with <CR><LF>.<CR><LF>\r\n", False
        if verb == b"RSET":
            self._reset()
            return b"250 2.0.0 OK\r\n", False
        if verb == b"NOOP":
            return b"250 2.0.0 OK\r\n", False
        if verb == b"QUIT":
            return b"221 2.0.0 bye\r\n", True
        if verb == b"VRFY":
            return b"252 2.0.0 cannot verify, but will accept\r\n", False
        return b"500 5.5.1 command not recognised\r\n", False


async def serve(port: int, out: Path) -> None:
    recorder = Recorder(out)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = await loop.create_server(lambda: SmtpSession(recorder), HOST, port)
    try:
        await stop.wait()
    finally:
        server.close()
        recorder.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="directory for received.log and received.raw")
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:  # plain asyncio is fine, just slower
        asyncio.run(serve(args.port, args.out))
    else:
        uvloop.run(serve(args.port, args.out))


if __name__ == "__main__":
    main()
