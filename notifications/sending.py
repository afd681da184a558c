"""Sending outbox rows, exactly once however often a job runs, and stopping without losing track.

A job first *claims* its rows in the database (pending → sending, with a claim time and
``attempts + 1``) in one conditional UPDATE: of any number of concurrent or repeated
jobs, exactly one gets each row; the others find nothing to claim. After sending, a row
becomes ``sent`` only if our claim still holds.

Rows are sent one at a time (one outbox row, one message) but claimed and loaded in
batches: the sweep queues *blocks* of ids (``id // BLOCK_SIZE``) and one job claims the
due rows of its block, loads all their recipients in one query, and sends them over the
worker's pooled SMTP connections, recording each outcome right after its send.

Stopping (SIGTERM, a job timeout) cancels a job. A row whose message was not handed to
the server yet is released (back to pending, its attempt not counted), so it is sent
later by someone else, once. A message already on the wire is given ``STOP_WAIT_SECONDS``
to finish, and its outcome is recorded. Only when a worker dies (SIGKILL, power) or a
send outlives that wait does a claim stay behind; it expires after ``CLAIM_TIMEOUT`` and
the row is sent again with the same ``Message-ID`` (e-mail) or ``id`` (SMS), so the far
side can drop the duplicate. See docs/notifications.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import os
import time as clock
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from app.database import fetch, write_transaction
from notifications.broadcast import render_row
from notifications.digest import render_digest
from notifications.kinds import MessageKind
from notifications.mail import email_bytes
from notifications.messages import MessageData
from notifications.recipients import Recipient, load_recipients
from notifications.sms import send_sms
from notifications.smtp import Handover, SmtpPool
from notifications.tables import OutboxMessage
from scheduling.services._common import utcnow

# How long a claim protects a row being sent; after that a crashed worker's row is retried.
CLAIM_TIMEOUT = timedelta(seconds=int(os.environ.get("TREFFPUNKT_OUTBOX_CLAIM_SECONDS", "300")))
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
QUIET_START, QUIET_END = time(21, 0), time(8, 0)
BLOCK_SIZE = 256  # ids per block job
CLAIM_BATCH = 64  # rows claimed at a time inside a block
SWEEP_LIMIT = 20_000  # due rows looked at per sweep (their blocks are queued)
STOP_WAIT_SECONDS = 3.0  # a message on the wire when its job is cancelled may finish within this
REMINDER_KINDS = (MessageKind.reminder_day_before, MessageKind.reminder_two_hours)


@dataclass(frozen=True, slots=True)
class Channels:
    """Where messages go; without SMTP or SMS they are kept in the outbox log only.

    ``mailer`` is the worker's pool of open SMTP connections; without it each send
    opens (and closes) a connection of its own. ``stopping`` is set when the worker is
    asked to stop: jobs finish the message in hand and give the rest of their rows back.
    """

    smtp_url: str | None
    sms_url: str | None
    base_url: str
    secret_key: str
    default_language: str = "de"
    sender: str = "Treffpunkt <no-reply@treffpunkt.invalid>"
    mailer: SmtpPool | None = field(default=None, compare=False)
    stopping: asyncio.Event = field(default_factory=asyncio.Event, compare=False)
    recorder: SentRecorder = field(default_factory=lambda: SentRecorder(), compare=False)


def _due(now: datetime) -> Any:
    return ((OutboxMessage.status == "pending") & (OutboxMessage.not_before <= now)) | (
        (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - CLAIM_TIMEOUT)
    )


_CLAIMED: dict[Any, Any] = {OutboxMessage.status: "sending", OutboxMessage.attempts: OutboxMessage.attempts + 1}
_ROW_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.kind,
    OutboxMessage.registration_id,
    OutboxMessage.session_id,
    OutboxMessage.staff_user_id,
    OutboxMessage.attempts,
    OutboxMessage.body,
    OutboxMessage.subject,
    OutboxMessage.created_at,
)


async def claim(message_id: int, now: datetime) -> dict[str, Any] | None:
    """Take one row for sending, or ``None`` if it is not due, already sent, or someone else holds it."""
    rows = await _claim(OutboxMessage.id == message_id, now)
    return rows[0] if rows else None


async def _claim(where: Any, now: datetime, limit: int | None = None) -> list[dict[str, Any]]:
    """One conditional UPDATE (per row atomic on both databases): only due or stale rows match."""
    if limit is not None:
        picked = (
            await OutboxMessage.select(OutboxMessage.id).where(where, _due(now)).order_by(OutboxMessage.id).limit(limit)
        )
        if not picked:
            return []
        where = OutboxMessage.id.is_in([row["id"] for row in picked])
    async with write_transaction():
        return list(
            await OutboxMessage.update({**_CLAIMED, OutboxMessage.claimed_at: now})
            .where(where, _due(now))  # checked again: another worker may have claimed meanwhile
            .returning(*_ROW_COLUMNS)
        )


async def _finish(row: dict[str, Any], changes: dict[Any, Any]) -> bool:
    """Apply ``changes`` only while our claim holds (a re-claim of a stale row bumps ``attempts``)."""
    done = (
        await OutboxMessage.update(changes)
        .where(
            OutboxMessage.id == row["id"], OutboxMessage.status == "sending", OutboxMessage.attempts == row["attempts"]
        )
        .returning(OutboxMessage.id)
    )
    return bool(done)


async def _release(rows: Sequence[dict[str, Any]]) -> None:
    """Give claimed rows back untouched: nothing was sent, so the attempt does not count."""
    for row in rows:
        await _finish(
            row,
            {
                OutboxMessage.status: "pending",
                OutboxMessage.claimed_at: None,
                OutboxMessage.attempts: OutboxMessage.attempts - 1,
            },
        )


async def _run_to_end(work: Coroutine[Any, Any, str]) -> str:
    """Run ``work``; if we are cancelled meanwhile, let it finish (up to ``STOP_WAIT_SECONDS``) first.

    ``work`` sends one message and records the outcome: cut off half-way it would leave
    a message that went out but is not recorded. Past the wait it is cancelled too.
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, STOP_WAIT_SECONDS)
        raise


def choose_channel(recipient: Recipient, channels: Channels) -> str:
    """E-mail when the person gave one (room for the calendar and the code), else SMS, else the log."""
    if recipient.email and channels.smtp_url:
        return "email"
    if recipient.phone and channels.sms_url:
        return "sms"
    return "log"


def next_sms_time(now: datetime, zone: str) -> datetime | None:
    """``None`` if an SMS may go out now, else the next 08:00 local time."""
    local = now.astimezone(ZoneInfo(zone))
    if QUIET_END <= local.time() < QUIET_START:
        return None
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def _send_one(
    row: dict[str, Any], recipient: Recipient | None, channels: Channels, mailer: SmtpPool | None, now: datetime
) -> str:
    """Send one claimed row and record what happened. Returns sent, skipped, deferred, retry or failed."""
    if recipient is None:
        await _finish(row, {OutboxMessage.status: "skipped", OutboxMessage.last_error: "the registration is gone"})
        return "skipped"
    kind = MessageKind(row["kind"])
    data = recipient.data
    if kind in REMINDER_KINDS and isinstance(data, MessageData) and data.starts_at <= now:
        await _finish(row, {OutboxMessage.status: "skipped", OutboxMessage.last_error: "the session has begun"})
        return "skipped"
    channel = choose_channel(recipient, channels)
    if channel == "sms":
        later = next_sms_time(now, data.timezone if isinstance(data, MessageData) else "UTC")
        if later is not None:
            await _finish(
                row,
                {
                    OutboxMessage.status: "pending",
                    OutboxMessage.not_before: later,
                    OutboxMessage.claimed_at: None,
                    OutboxMessage.attempts: OutboxMessage.attempts - 1,
                },
            )
            return "deferred"
    handover = Handover()
    try:
        rendered = render_row(row, data) if isinstance(data, MessageData) else render_digest(data)
        if channel == "email":
            assert mailer is not None and recipient.email is not None
            content = email_bytes(
                row["id"],
                recipient,
                rendered,
                sender=channels.sender,
                base_url=channels.base_url,
                secret_key=channels.secret_key,
            )
            await mailer.send(_address(channels.sender), [recipient.email], content, handover)
        elif channel == "sms":
            assert channels.sms_url is not None and recipient.phone is not None
            handover.started = True
            await send_sms(channels.sms_url, recipient.phone, rendered.sms, row["id"])
    except asyncio.CancelledError:
        if not handover.started:
            await _release([row])  # nothing reached the server: someone sends it later, once
        # else: handed over, fate unknown; the claim stays and expires (the at-least-once window)
        raise
    except Exception as error:  # any channel failure: retry later, then park as failed
        return await _failed(row, error, now)
    body = rendered.sms if channel == "sms" else rendered.text
    sent = _Sent(row["id"], row["attempts"], utcnow(), channel, rendered.language, rendered.subject[:300], body)
    await channels.recorder.record(sent)
    return "sent"


@dataclass(frozen=True, slots=True)
class _Sent:
    id: int
    attempts: int  # the claim: the row becomes sent only while it still holds
    sent_at: datetime
    channel: str
    language: str
    subject: str
    body: str


# The one write per message on the hot path, as plain SQL (Piccolo's query builder cost more
# CPU than sending the message), for many rows at once; on PostgreSQL straight to asyncpg
# (``app.database.fetch``), on SQLite one statement per row in one transaction (bench/README.md).
_SENT_MANY_POSTGRES = (
    "UPDATE outbox_message AS o SET status = 'sent', sent_at = v.sent_at, channel = v.channel, "
    "language = v.language, subject = v.subject, body = v.body, last_error = '' "
    "FROM unnest({}::integer[], {}::integer[], {}::timestamptz[], {}::text[], {}::text[], {}::text[], {}::text[]) "
    "AS v(id, attempts, sent_at, channel, language, subject, body) "
    "WHERE o.id = v.id AND o.status = 'sending' AND o.attempts = v.attempts"
)
_SENT_ONE = (
    "UPDATE outbox_message SET status = 'sent', sent_at = {}, channel = {}, language = {}, subject = {}, "
    "body = {}, last_error = '' WHERE id = {} AND status = 'sending' AND attempts = {}"
)


async def _write_sent(batch: Sequence[_Sent]) -> None:
    """Mark rows sent, each only while our claim holds (like :func:`_finish`), in one statement or transaction."""
    if OutboxMessage._meta.db.engine_type in ("postgres", "cockroach"):
        await fetch(
            _SENT_MANY_POSTGRES,
            [s.id for s in batch],
            [s.attempts for s in batch],
            [s.sent_at for s in batch],
            [s.channel for s in batch],
            [s.language for s in batch],
            [s.subject for s in batch],
            [s.body for s in batch],
        )
        return
    async with write_transaction():
        for s in batch:
            await OutboxMessage.raw(_SENT_ONE, s.sent_at, s.channel, s.language, s.subject, s.body, s.id, s.attempts)


class SentRecorder:
    """Records "sent" for the concurrent send jobs of one worker together (group commit).

    Each job still waits until its own message is recorded before it sends the next one,
    so nothing about exactly-once changes. While one UPDATE is on its way to the database,
    the outcomes of the other jobs queue up and go together in the next one: with ten jobs
    sending, one statement records several messages instead of one each.
    """

    def __init__(self) -> None:
        self._queue: list[tuple[_Sent, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, sent: _Sent) -> None:
        """Return once ``sent`` is written; raise what the database raised.

        Cancelling the caller does not cancel the write: a message that went out is
        recorded all the same (the write is shielded in the writer task).
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((sent, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_queued())
        await future

    async def _write_queued(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await _write_sent([sent for sent, _ in batch])
            except BaseException as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                        future.exception()  # retrieved: a cancelled caller must not log it as lost
                if not isinstance(error, Exception):
                    raise
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)


@lru_cache(maxsize=8)
def _address(sender: str) -> str:
    """The envelope sender (``MAIL FROM``) of a ``From`` header."""
    return email.utils.parseaddr(sender)[1] or sender


async def _failed(row: dict[str, Any], error: BaseException, now: datetime) -> str:
    attempts = row["attempts"]
    if attempts >= MAX_ATTEMPTS:
        await _finish(row, {OutboxMessage.status: "failed", OutboxMessage.last_error: _describe(error)})
        return "failed"
    delay = BACKOFF_SECONDS[min(attempts - 1, len(BACKOFF_SECONDS) - 1)]
    await _finish(
        row,
        {
            OutboxMessage.status: "pending",
            OutboxMessage.not_before: now + timedelta(seconds=delay),
            OutboxMessage.last_error: _describe(error),
        },
    )
    return "retry"


async def _send_rows(rows: list[dict[str, Any]], channels: Channels, now: datetime, started: float) -> list[str]:
    """Send claimed rows one after another; on cancellation or error, release the ones not begun."""
    own_mailer = None
    mailer = channels.mailer
    if mailer is None and channels.smtp_url:
        mailer = own_mailer = SmtpPool(channels.smtp_url, size=1)
    waiting = list(rows)
    results: list[str] = []
    try:
        recipients = await load_recipients(rows, channels)
        while waiting:
            if clock.monotonic() - started > CLAIM_TIMEOUT.total_seconds() / 2:
                break  # our claims would soon look stale to the sweep: give the rest back
            if channels.stopping.is_set():
                break  # the worker is stopping: the next worker sends the rest, once
            row = waiting.pop(0)
            results.append(await _run_to_end(_send_one(row, recipients[row["id"]], channels, mailer, now)))
    finally:
        if waiting:
            await asyncio.shield(_release(waiting))
        if own_mailer is not None:
            await own_mailer.close()
    return results


async def deliver(message_id: int, channels: Channels, now: datetime | None = None) -> str:
    """Send one outbox row if it is due and nobody else is sending it. Returns what happened."""
    now = now or utcnow()
    started = clock.monotonic()
    row = await asyncio.shield(claim(message_id, now))
    if row is None:
        return "nothing-to-do"
    results = await _send_rows([row], channels, now, started)
    return results[0] if results else "released"


async def deliver_block(block: int, channels: Channels, now: datetime | None = None) -> dict[str, int]:
    """Send every due row whose id falls in ``block`` (ids ``block * BLOCK_SIZE`` …), a batch at a time."""
    in_block = (OutboxMessage.id >= block * BLOCK_SIZE) & (OutboxMessage.id < (block + 1) * BLOCK_SIZE)
    counts: Counter[str] = Counter()
    while True:
        batch_now = now or utcnow()
        started = clock.monotonic()
        rows = await asyncio.shield(_claim(in_block, batch_now, limit=CLAIM_BATCH))
        if not rows:
            return dict(counts)
        results = await _send_rows(rows, channels, batch_now, started)
        counts.update(results)
        if len(results) < len(rows) or channels.stopping.is_set():
            counts["released"] += len(rows) - len(results)
            return dict(counts)


def _describe(error: BaseException) -> str:
    """An error for staff, without addresses (SMTP errors can quote them)."""
    return f"{type(error).__name__}"[:500]


async def due_blocks(now: datetime | None = None, limit: int = SWEEP_LIMIT) -> list[int]:
    """Blocks holding rows the sweep should (re)queue: due pending ones and stale claims, oldest first."""
    now = now or utcnow()
    rows = (
        await OutboxMessage.select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.not_before)
        .limit(limit)
        .output(as_list=True)
    )
    return list(dict.fromkeys(int(message_id) // BLOCK_SIZE for message_id in rows))


async def due_message_ids(now: datetime | None = None, limit: int = 1000) -> list[tuple[int, int]]:
    """(id, attempts) of rows that are due now or whose claim went stale."""
    now = now or utcnow()
    rows = (
        await OutboxMessage.select(OutboxMessage.id, OutboxMessage.attempts)
        .where(_due(now))
        .order_by(OutboxMessage.not_before)
        .limit(limit)
    )
    return [(int(row["id"]), int(row["attempts"])) for row in rows]


async def resend(message_id: int) -> bool:
    """Staff: try a failed message again."""
    rows = (
        await OutboxMessage.update(
            {
                OutboxMessage.status: "pending",
                OutboxMessage.attempts: 0,
                OutboxMessage.not_before: utcnow(),
                OutboxMessage.last_error: "",
            }
        )
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "failed")
        .returning(OutboxMessage.id)
    )
    return bool(rows)
