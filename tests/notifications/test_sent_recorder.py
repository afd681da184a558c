"""Recording "sent" for concurrent send jobs together, without loosening exactly-once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from httpx import AsyncClient as Client

from notifications import sending
from notifications.sending import SentRecorder, _claim, _Sent
from notifications.tables import OutboxMessage
from scheduling.services._common import utcnow
from tests.notifications.test_sending import a_session, sign_up


async def claimed_confirmations(client: Client, people: int) -> list[dict[str, Any]]:
    session = await a_session(client)
    for n in range(people):
        await sign_up(client, session["id"], name=f"Person {n}", email=f"p{n}@example.org", language="de")
    rows = await _claim(OutboxMessage.kind == "confirmed", utcnow())
    assert len(rows) == people
    return rows


def sent(row: dict[str, Any], body: str = "Hallo") -> _Sent:
    return _Sent(row["id"], row["attempts"], utcnow(), "email", "de", "Betreff", body)


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every write the recorder makes."""
    sizes: list[int] = []
    write = sending._write_sent

    async def counted(batch: Sequence[_Sent]) -> None:
        sizes.append(len(batch))
        await write(batch)

    monkeypatch.setattr(sending, "_write_sent", counted)
    return sizes


async def statuses() -> dict[int, tuple[str, str]]:
    rows = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.body).where(
        OutboxMessage.kind == "confirmed"
    )
    return {row["id"]: (row["status"], row["body"]) for row in rows}


async def test_outcomes_that_arrive_together_are_written_in_one_go_and_only_while_the_claim_holds(
    client: Client, batches: list[int]
) -> None:
    rows = await claimed_confirmations(client, 6)
    stale = rows[0]
    # Someone else re-claimed this row meanwhile (its claim had expired): our outcome must not land.
    await OutboxMessage.update({OutboxMessage.attempts: OutboxMessage.attempts + 1}).where(
        OutboxMessage.id == stale["id"]
    )
    recorder = SentRecorder()
    await asyncio.gather(*(recorder.record(sent(row, body=f"Text {row['id']}")) for row in rows))
    assert batches == [6]
    found = await statuses()
    assert found[stale["id"]] == ("sending", "")
    assert all(found[row["id"]] == ("sent", f"Text {row['id']}") for row in rows[1:])
    # One at a time, each outcome is written at once.
    more = await claimed_confirmations(client, 2)
    for row in more:
        await recorder.record(sent(row))
    assert batches == [6, 1, 1]


async def test_a_failed_write_reaches_every_waiting_job_and_leaves_the_rows_claimed(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = await claimed_confirmations(client, 3)

    async def broken(batch: Sequence[_Sent]) -> None:
        raise ConnectionResetError("the database went away")

    monkeypatch.setattr(sending, "_write_sent", broken)
    results = await asyncio.gather(*(SentRecorder().record(sent(row)) for row in rows), return_exceptions=True)
    assert all(isinstance(result, ConnectionResetError) for result in results)
    assert {status for status, _ in (await statuses()).values()} == {"sending"}  # retried after the claim expires


async def test_a_cancelled_job_still_gets_its_message_recorded(client: Client) -> None:
    rows = await claimed_confirmations(client, 2)
    recorder = SentRecorder()
    waiting = [asyncio.create_task(recorder.record(sent(row))) for row in rows]
    await asyncio.sleep(0)  # both are queued
    waiting[0].cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
    assert waiting[0].cancelled()
    assert recorder._writer is not None
    await recorder._writer
    assert {status for status, _ in (await statuses()).values()} == {"sent"}
