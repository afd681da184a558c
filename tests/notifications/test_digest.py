"""The hosts' daily digest: once a day, only with news, first names and initials only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from httpx import AsyncClient as Client

from notifications.digest import write_host_digests
from notifications.tables import OutboxMessage
from tests.factories import make_account
from tests.notifications.helpers import Inbox, channels, run_worker_until_idle, smtp_server
from tests.visits.helpers import a_site, approve, propose, sign_up

REDIS_URL = os.environ["TREFFPUNKT_REDIS_URL"]


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    yield from smtp_server()


def morning(days: int = 0) -> datetime:
    """The next 06:05 UTC from now (plus ``days``): 07:05 or 08:05 in Berlin, after the digest time.

    The next one, not today's: a test running after 06:05 UTC signs people up after today's,
    and a digest only tells of what came before it.
    """
    now = datetime.now(UTC)
    next_morning = now.replace(hour=6, minute=5, second=0, microsecond=0)
    if next_morning <= now:
        next_morning += timedelta(days=1)
    return next_morning + timedelta(days=days)


SUBJECT_DE = "Neue Anmeldungen für Ihre Betriebsbesuche"
SUBJECT_AR = "تسجيلات جديدة لزيارات شركتكم"


def digests_to(inbox: Inbox, address: str, subject: str = SUBJECT_DE) -> list[EmailMessage]:
    """The digests among what a host received (they are also told when a slot is approved)."""
    return [m for m in inbox.to(address) if m["Subject"] == subject]


def plain(message: object) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]


async def digests() -> list[dict[str, object]]:
    return await OutboxMessage.select().where(OutboxMessage.kind == "host_digest").order_by(OutboxMessage.id)


async def test_a_host_gets_one_digest_a_day_with_headcount_and_short_names(
    client: Client, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    site = await a_site(client)
    second_host = await make_account("host", employer_id=site.employer_id)
    slot = await propose(client, site, capacity=3)
    await approve(client, site, slot["id"])
    hidden = await propose(client, site)  # proposed, not approved: not in the digest
    await sign_up(client, slot["session_id"], 1, name="Amina Khalil")
    await sign_up(client, slot["session_id"], 2, name="Oksana Petrenko")

    assert await write_host_digests(morning()) == 2  # both hosts of the employer; none for the other employer
    assert await write_host_digests(morning()) == 0  # the same day again: nothing more
    await run_worker_until_idle(REDIS_URL, channels(smtp_url=url))
    await run_worker_until_idle(REDIS_URL, channels(smtp_url=url))

    assert len(digests_to(inbox, site.host.email)) == 1 and len(digests_to(inbox, second_host.email)) == 1
    assert inbox.to(site.other_host.email) == []
    text = plain(digests_to(inbox, site.host.email)[0])
    assert "Amina K." in text and "Oksana P." in text
    assert "Khalil" not in text and "person1@example.org" not in text and "+49151" not in text
    assert "2 von 3" in text  # the headcount, in the default language (German)
    assert hidden["id"] != slot["id"] and text.count("Angemeldet:") == 1
    message = digests_to(inbox, site.host.email)[0]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'lang="de"' in html and "Amina K." in html
    assert all(row["status"] == "sent" for row in await digests())


async def test_the_next_digest_lists_only_who_is_new_and_hosts_without_news_get_none(
    client: Client, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    site = await a_site(client)
    slot = await propose(client, site, capacity=5)
    await approve(client, site, slot["id"])
    await sign_up(client, slot["session_id"], 1, name="Amina Khalil")
    assert await write_host_digests(morning()) == 1
    await run_worker_until_idle(REDIS_URL, channels(smtp_url=url))

    assert await write_host_digests(morning(days=1)) == 0  # nobody new: no message
    await sign_up(client, slot["session_id"], 2, name="Oksana Petrenko")
    assert await write_host_digests(morning(days=1)) == 1
    await run_worker_until_idle(REDIS_URL, channels(smtp_url=url))

    assert len(digests_to(inbox, site.host.email)) == 2
    second = plain(digests_to(inbox, site.host.email)[1])
    assert "Oksana P." in second and "Amina K." not in second
    assert "2 von 5" in second


async def test_no_digest_before_seven_in_the_morning(client: Client) -> None:
    site = await a_site(client)
    slot = await propose(client, site)
    await approve(client, site, slot["id"])
    await sign_up(client, slot["session_id"], 1)
    early = morning().replace(hour=4)  # 05:00 or 06:00 in Berlin
    assert await write_host_digests(early) == 0
    assert await digests() == []


async def test_an_arabic_project_sends_the_digest_in_arabic_right_to_left(
    client: Client, smtp: tuple[str, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, inbox = smtp
    site = await a_site(client)
    slot = await propose(client, site)
    await approve(client, site, slot["id"])
    await sign_up(client, slot["session_id"], 1, name="Amina Khalil")
    assert await write_host_digests(morning()) == 1
    chosen = channels(smtp_url=url)
    arabic = type(chosen)(**{**{f: getattr(chosen, f) for f in chosen.__dataclass_fields__}, "default_language": "ar"})
    await run_worker_until_idle(REDIS_URL, arabic)
    [message] = digests_to(inbox, site.host.email, SUBJECT_AR)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "Amina K." in plain(message)
