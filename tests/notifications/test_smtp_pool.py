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
