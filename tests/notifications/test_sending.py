"""Messages through the outbox, the real arq worker, a real SMTP server and a fake SMS gateway."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from httpx import AsyncClient as Client

from notifications.sending import deliver, next_sms_time
from notifications.sms import split_sms
from notifications.tables import OutboxMessage
from tests.factories import make_account
from tests.notifications.helpers import Gateway, Inbox, channels, run_worker_until_idle, sms_gateway, smtp_server
from tests.scheduling.factories import create_activity, sessions_of

REDIS_URL = os.environ["TREFFPUNKT_REDIS_URL"]


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    yield from smtp_server()


@pytest.fixture
def gateway() -> Iterator[tuple[str, Gateway]]:
    yield from sms_gateway()


async def a_session(client: Client, **overrides: Any) -> dict[str, Any]:
    coordinator = await make_account("coordinator")
    activity = await create_activity(
        client, coordinator.headers, **{"start": "2027-10-07T10:00", "exdates": [], **overrides}
    )
    return (await sessions_of(client, activity["id"]))[0]


async def sign_up(client: Client, session_id: int, **person: Any) -> dict[str, Any]:
    body = {"name": "Amina", "language": "ar", "consent": True, **person}
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_arabic_and_ukrainian_sign_ups_each_get_one_confirmation_in_their_language(
    client: Client, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    session = await a_session(client)
    await sign_up(client, session["id"], name="Amina", email="amina@example.org", language="ar")
    await sign_up(client, session["id"], name="Oksana", email="oksana@example.org", language="uk")
    await run_worker_until_idle(REDIS_URL, channels(smtp_url=url))
    await run_worker_until_idle(REDIS_URL, channels(smtp_url=url))  # a second run sends nothing more
    arabic, ukrainian = inbox.to("amina@example.org"), inbox.to("oksana@example.org")
    assert len(arabic) == 1 and len(ukrainian) == 1
    assert arabic[0]["Subject"].startswith("لديك مكان")
    assert ukrainian[0]["Subject"].startswith("У вас є місце")
    html = arabic[0].get_body(preferencelist=("html",)).get_content()
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    for message in (arabic[0], ukrainian[0]):
        ics = next(part for part in message.iter_attachments() if part.get_content_type() == "text/calendar")
        event = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
        assert event["DTSTART"].dt.astimezone(UTC) == datetime(2027, 10, 7, 8, 0, tzinfo=UTC)
        assert "/r/" in message.get_body(preferencelist=("plain",)).get_content()


async def test_running_a_send_job_twice_sends_once(client: Client, smtp: tuple[str, Inbox]) -> None:
    url, inbox = smtp
    session = await a_session(client)
    await sign_up(client, session["id"], email="once@example.org", language="de")
    row = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.kind == "confirmed").first()
    assert row is not None
    results = await asyncio.gather(*(deliver(row["id"], channels(smtp_url=url)) for _ in range(5)))
    assert results.count("sent") == 1
    assert len(inbox.to("once@example.org")) == 1


async def test_waitlist_and_promotion_messages(client: Client, smtp: tuple[str, Inbox]) -> None:
    url, inbox = smtp
    session = await a_session(client, capacity=1)
    first = await sign_up(client, session["id"], email="first@example.org", language="de")
    await sign_up(client, session["id"], email="second@example.org", language="tr")
    await client.delete(f"/api/v1/registrations/{first['token']}")
    await run_worker_until_idle(REDIS_URL, channels(smtp_url=url))
    subjects = [m["Subject"] for m in inbox.to("second@example.org")]
    assert sorted(subjects) == sorted(
        ["Bekleme listesi: Arbeitsleben in Deutschland", "Sizin için bir yer açıldı: Arbeitsleben in Deutschland"]
    )


async def test_cancelling_a_session_tells_everyone_and_drops_reminders(client: Client, smtp: tuple[str, Inbox]) -> None:
    url, inbox = smtp
    coordinator = await make_account("coordinator")
    session = await a_session(client)
    await sign_up(client, session["id"], email="a@example.org", language="fa")
    assert await OutboxMessage.count().where(OutboxMessage.kind.like("reminder%")) == 2
    await client.patch(f"/api/v1/sessions/{session['id']}", json={"status": "cancelled"}, headers=coordinator.headers)
    await run_worker_until_idle(REDIS_URL, channels(smtp_url=url))
    assert sorted(m["Subject"].split(":")[0] for m in inbox.to("a@example.org")) == sorted(
        ["جای شما رزرو شد", "لغو شد"]
    )
    assert (
        await OutboxMessage.count().where(OutboxMessage.kind.like("reminder%"), OutboxMessage.status == "pending") == 0
    )


async def test_reminders_wait_until_they_are_due(client: Client, smtp: tuple[str, Inbox]) -> None:
    url, inbox = smtp
    session = await a_session(client)
    await sign_up(client, session["id"], email="r@example.org", language="de")
    reminder = await OutboxMessage.select().where(OutboxMessage.kind == "reminder_day_before").first()
    assert reminder is not None
    assert await deliver(reminder["id"], channels(smtp_url=url)) == "nothing-to-do"
    later = reminder["not_before"] + timedelta(seconds=1)
    assert await deliver(reminder["id"], channels(smtp_url=url), now=later) == "sent"
    assert inbox.to("r@example.org")[-1]["Subject"].startswith("Morgen")


async def test_sms_for_people_without_e_mail(client: Client, gateway: tuple[str, Gateway]) -> None:
    url, received = gateway
    session = await a_session(client)
    await sign_up(client, session["id"], phone="0151 23456789", language="uk")
    row = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.kind == "confirmed").first()
    assert row is not None
    midday = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)
    assert await deliver(row["id"], channels(sms_url=url), now=midday) == "sent"
    assert received.received[0]["to"] == "+4915123456789"
    assert received.received[0]["text"].startswith("Вітаємо")
    assert received.received[0]["id"] == f"treffpunkt-{row['id']}-1"


async def test_no_sms_at_night(client: Client, gateway: tuple[str, Gateway]) -> None:
    url, received = gateway
    session = await a_session(client)
    await sign_up(client, session["id"], phone="0151 23456789", language="de")
    row = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.kind == "confirmed").first()
    assert row is not None
    night = datetime(2027, 6, 1, 21, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert await deliver(row["id"], channels(sms_url=url), now=night) == "deferred"
    assert received.received == []
    deferred = await OutboxMessage.select().where(OutboxMessage.id == row["id"]).first()
    assert deferred is not None and deferred["status"] == "pending"
    assert deferred["not_before"].astimezone(UTC) == datetime(2027, 6, 2, 6, 0, tzinfo=UTC)  # 08:00 Berlin


async def test_a_failing_gateway_is_retried_then_parked(client: Client, gateway: tuple[str, Gateway]) -> None:
    url, received = gateway
    received.fail = True
    session = await a_session(client)
    await sign_up(client, session["id"], phone="0151 23456789", language="de")
    row = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.kind == "confirmed").first()
    assert row is not None
    moment = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)
    outcomes = []
    for _ in range(10):
        outcomes.append(await deliver(row["id"], channels(sms_url=url), now=moment))
        moment += timedelta(days=1)
    assert outcomes[:7] == ["retry"] * 7 and outcomes[7] == "failed"
    final = await OutboxMessage.select().where(OutboxMessage.id == row["id"]).first()
    assert final is not None and final["status"] == "failed" and final["last_error"] == "HTTPStatusError"


async def test_without_channels_messages_go_to_the_outbox_log(client: Client) -> None:
    session = await a_session(client)
    await sign_up(client, session["id"], email="log@example.org", language="de")
    await run_worker_until_idle(REDIS_URL, channels())
    row = await OutboxMessage.select().where(OutboxMessage.kind == "confirmed").first()
    assert row is not None and row["status"] == "sent" and row["channel"] == "log"
    assert "Sie haben einen Platz" in row["body"]


def test_sms_split_respects_gsm7_and_unicode_lengths() -> None:
    assert split_sms("Hallo") == ["Hallo"]
    long_latin = " ".join(["Treffpunkt"] * 30)
    assert all(len(part) <= 153 for part in split_sms(long_latin)) and len(split_sms(long_latin)) == 3
    arabic = " ".join(["مرحبا"] * 30)
    assert all(len(part) <= 67 for part in split_sms(arabic))
    assert " ".join(split_sms(arabic)) == arabic


def test_quiet_hours_in_local_time() -> None:
    assert next_sms_time(datetime(2027, 1, 10, 12, 0, tzinfo=UTC), "Europe/Berlin") is None
    assert next_sms_time(datetime(2027, 1, 10, 5, 0, tzinfo=UTC), "Europe/Berlin") == datetime(
        2027, 1, 10, 7, 0, tzinfo=UTC
    )


async def test_staff_see_failed_messages_and_resend_them(client: Client, gateway: tuple[str, Gateway]) -> None:
    url, received = gateway
    received.fail = True
    coordinator = await make_account("coordinator")
    session = await a_session(client)
    await sign_up(client, session["id"], phone="0151 23456789", language="de")
    row = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.kind == "confirmed").first()
    assert row is not None
    moment = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)
    for _ in range(8):
        await deliver(row["id"], channels(sms_url=url), now=moment)
        moment += timedelta(days=1)
    assert (await client.get("/api/v1/outbox")).status_code == 401
    failed = (await client.get("/api/v1/outbox", headers=coordinator.headers)).json()
    assert [m["id"] for m in failed] == [row["id"]] and "phone" not in failed[0]
    again = await client.post(f"/api/v1/outbox/{row['id']}/resend", headers=coordinator.headers)
    assert again.status_code == 202 and again.json()["status"] == "pending"
    received.fail = False
    assert await deliver(row["id"], channels(sms_url=url), now=moment) == "sent"
    assert (await client.post(f"/api/v1/outbox/{row['id']}/resend", headers=coordinator.headers)).status_code == 404
