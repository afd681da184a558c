"""A local SMTP sink for ``bench/reminders.py``: accepts every message and records it.

Run as its own process (``python bench/smtp_sink.py --port N --out DIR``), so its work
does not share a GIL with the load it measures (the raw ``aiosmtplib`` baseline runs in
the benchmark process). It serves aiosmtpd's ``SMTP`` protocol on uvloop, on 127.0.0.1.

For every message it appends one line ``<unix time> <Message-ID> <bytes>`` to
``DIR/received.log`` and the raw message, length-prefixed (``<bytes>\\n<raw>``), to
``DIR/received.raw``; both are flushed per message, so the benchmark can count them while
the run is going on. SIGTERM/SIGINT stop it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import time
from pathlib import Path
from typing import IO, Any

from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


class Recorder:
    def __init__(self, out: Path) -> None:
        self.log: IO[bytes] = (out / "received.log").open("ab")
        self.raw: IO[bytes] = (out / "received.raw").open("ab")

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        head = content.split(b"\r\n\r\n", 1)[0]
        found = _MESSAGE_ID.search(head)
        message_id = found.group(1) if found else b"-"
        self.raw.write(b"%d\n" % len(content) + content)
        self.raw.flush()
        self.log.write(b"%.6f %s %d\n" % (time.time(), message_id, len(content)))
        self.log.flush()
        return "250 OK"

    def close(self) -> None:
        self.log.close()
        self.raw.close()


async def serve(port: int, out: Path) -> None:
    recorder = Recorder(out)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def factory() -> Any:
        return SMTP(recorder, hostname="sink.invalid", data_size_limit=10_000_000)

    server = await loop.create_server(factory, HOST, port)
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
