"""The worker's SMTP connections: reused, replaced when the server dropped them, released on a stop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from httpx import AsyncClient as Client

from app.embedded_redis import free_port
from notifications.sending import BLOCK_SIZE, Channels, deliver_block
from notifications.smtp import Handover, SmtpPool
from notifications.tables import OutboxMessage
from tests.notifications.helpers import Inbox, channels
from tests.notifications.test_sending import a_session, sign_up


def message(n: int) -> bytes:
    return (
        f"From: a@example.org\r\nTo: b@example.org\r\nSubject: {n}\r\nMessage-ID: <m{n}@example.org>\r\n\r\nHallo\r\n"
    ).encode()


async def test_one_connection_carries_many_messages_and_a_dropped_one_is_replaced() -> None:
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    pool = SmtpPool(f"smtp://127.0.0.1:{port}", size=2)
    try:
        for n in range(5):
            await pool.send("a@example.org", ["b@example.org"], message(n), Handover())
        assert pool.opened == 1 and len(inbox.messages) == 5
        server.stop()  # the server goes away and comes back: our open connection is dead
        server = Controller(inbox, hostname="127.0.0.1", port=port)
        server.start()
        handover = Handover()
        await pool.send("a@example.org", ["b@example.org"], message(5), handover)
        assert handover.started and pool.opened == 2
        assert [m["Subject"] for m in inbox.messages] == [str(n) for n in range(6)]
    finally:
        await pool.close()
        server.stop()


class SlowInbox(Inbox):
    """Takes a second per message, so a stop finds one on the wire."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(1.0)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp() -> Iterator[tuple[str, Inbox]]:
    inbox = SlowInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


async def test_a_stopped_block_job_records_the_message_on_the_wire_and_gives_back_the_rest(
    client: Client, slow_smtp: tuple[str, Inbox]
) -> None:
    url, inbox = slow_smtp
    session = await a_session(client)
    for n in range(5):
        await sign_up(client, session["id"], name=f"Person {n}", email=f"p{n}@example.org", language="de")
    chosen = channels(smtp_url=url)
    mailer = SmtpPool(url, size=2)
    pooled = Channels(url, None, chosen.base_url, chosen.secret_key, mailer=mailer)
    job = asyncio.create_task(deliver_block(0, pooled))
    await asyncio.sleep(0.5)  # the first message is on the wire (the server answers after 1 s)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    await mailer.close()
    rows = await OutboxMessage.select().where(OutboxMessage.kind == "confirmed").order_by(OutboxMessage.id)
    assert all(row["id"] < BLOCK_SIZE for row in rows)
    statuses = [row["status"] for row in rows]
    assert statuses.count("sent") == len(inbox.messages) == 1  # finished and recorded despite the stop
    assert statuses.count("pending") == 4 and "sending" not in statuses
    assert all(row["attempts"] == 0 for row in rows if row["status"] == "pending")  # given back, not counted
    assert all(row["claimed_at"] is None for row in rows if row["status"] == "pending")


class RecordingServer:
    """A bare SMTP server that keeps every read, to see how the client writes its commands.

    It offers ``PIPELINING`` or not, answers in order like any server, and refuses the
    recipient ``nobody@example.org``.
    """

    def __init__(self, pipelining: bool) -> None:
        self.pipelining = pipelining
        self.reads: list[bytes] = []
        self.messages: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"smtp://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 test ESMTP\r\n")
        buffer, in_data, refused = b"", False, False
        while chunk := await reader.read(65536):
            self.reads.append(chunk)
            buffer += chunk
            while True:
                if in_data:
                    end = buffer.find(b"\r\n.\r\n")
                    if end < 0:
                        break
                    self.messages.append(buffer[: end + 2])
                    buffer, in_data = buffer[end + 5 :], False
                    writer.write(b"250 OK\r\n")
                    continue
                if b"\r\n" not in buffer:
                    break
                line, buffer = buffer.split(b"\r\n", 1)
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(
                        b"250-test\r\n" + (b"250-PIPELINING\r\n" if self.pipelining else b"") + b"250 8BITMIME\r\n"
                    )
                elif verb == b"RCPT" and b"nobody@" in line:
                    refused = True
                    writer.write(b"550 5.1.1 no such user\r\n")
                elif verb == b"DATA":
                    if refused:
                        refused = False
                        writer.write(b"554 5.5.1 no valid recipients\r\n")
                    else:
                        in_data = True
                        writer.write(b"354 go ahead\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    writer.close()
                    return
                else:
                    writer.write(b"250 OK\r\n")
        writer.close()


def envelope_reads(server: RecordingServer) -> list[bytes]:
    return [read for read in server.reads if b"MAIL FROM" in read or b"RCPT TO" in read or read.startswith(b"DATA")]


async def test_a_server_that_offers_pipelining_gets_the_envelope_and_data_in_one_write() -> None:
    server = RecordingServer(pipelining=True)
    pool = SmtpPool(await server.start(), size=1)
    try:
        for n in range(3):
            await pool.send("a@example.org", ["b@example.org"], message(n), Handover())
        assert pool.opened == 1 and len(server.messages) == 3
        assert envelope_reads(server).count(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n") == 3
    finally:
        await pool.close()
        await server.stop()


async def test_without_pipelining_every_command_waits_for_its_reply() -> None:
    server = RecordingServer(pipelining=False)
    pool = SmtpPool(await server.start(), size=1)
    try:
        await pool.send("a@example.org", ["b@example.org"], message(0), Handover())
        assert envelope_reads(server) == [b"MAIL FROM:<a@example.org>\r\n", b"RCPT TO:<b@example.org>\r\n", b"DATA\r\n"]
        assert len(server.messages) == 1
    finally:
        await pool.close()
        await server.stop()


@pytest.mark.parametrize("pipelining", [True, False])
async def test_a_refused_recipient_raises_before_the_handover_and_the_next_message_still_goes(
    pipelining: bool,
) -> None:
    import aiosmtplib

    server = RecordingServer(pipelining=pipelining)
    pool = SmtpPool(await server.start(), size=1)
    try:
        handover = Handover()
        with pytest.raises(aiosmtplib.SMTPRecipientRefused):
            await pool.send("a@example.org", ["nobody@example.org"], message(0), handover)
        assert not handover.started and server.messages == []
        await pool.send("a@example.org", ["b@example.org"], message(1), Handover())
        assert len(server.messages) == 1 and b"Subject: 1\r\n" in server.messages[0]
        assert pool.opened == 2  # the connection of the refused message was not reused
    finally:
        await pool.close()
        await server.stop()


async def test_lines_starting_with_a_dot_and_bare_line_feeds_arrive_as_written() -> None:
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    pool = SmtpPool(f"smtp://127.0.0.1:{port}", size=1)
    content = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: dots\r\n\r\n.one\r\n..two\nthree\r\n.\r\nend"
    try:
        await pool.send("a@example.org", ["b@example.org"], content, Handover())
        assert inbox.messages[0].get_content().replace("\r\n", "\n") == ".one\n..two\nthree\n.\nend\n"
    finally:
        await pool.close()
        server.stop()


async def test_replies_are_read_in_order_however_the_server_splits_them() -> None:
    from notifications.smtp import _Session

    session = _Session()
    for chunk in (b"250 2.1.0 OK\r\n250-first line\r\n250-sec", b"ond line\r\n250 last", b" line\r\n354 go on\r\n"):
        session.data_received(chunk)
    assert await session.reply() == (250, "2.1.0 OK")
    assert await session.reply() == (250, "first line\nsecond line\nlast line")
    assert await session.reply() == (354, "go on")
    later = asyncio.ensure_future(session.reply())
    await asyncio.sleep(0)
    session.data_received(b"221 bye\r\n")
    assert await later == (221, "bye")
    session.data_received(b"oops, not SMTP\r\n")
    with pytest.raises(Exception, match="malformed"):
        await session.reply()
