"""Hosts get their daily digest and the news about their visit slots in their own language."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from httpx import AsyncClient as Client

from app.auth.services import set_language
from notifications.digest import write_host_digests
from notifications.tables import OutboxMessage
from tests.factories import make_account
from tests.notifications.helpers import Inbox, channels, run_worker_until_idle, smtp_server
from tests.notifications.test_digest import SUBJECT_AR, SUBJECT_DE, digests_to, morning, plain
from tests.visits.helpers import a_site, approve, propose, sign_up

REDIS_URL = os.environ["TREFFPUNKT_REDIS_URL"]


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    yield from smtp_server()


async def test_an_arabic_speaking_host_gets_the_digest_in_arabic_and_the_others_in_the_default(
    client: Client, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    site = await a_site(client)
    await set_language(site.host.id, "ar")
    german_host = await make_account("host", employer_id=site.employer_id)
    slot = await propose(client, site, capacity=4, title={"de": "Backstube", "ar": "المخبز"})
    await approve(client, site, slot["id"])
    await sign_up(client, slot["session_id"], 1, name="Amina Khalil")
    await sign_up(client, slot["session_id"], 2, name="Oksana Petrenko")

    assert await write_host_digests(morning()) == 2
    await run_worker_until_idle(REDIS_URL, channels(smtp_url=url))  # the project's default language is German

    [arabic] = digests_to(inbox, site.host.email, SUBJECT_AR)
    assert digests_to(inbox, site.host.email, SUBJECT_DE) == []
    text = plain(arabic)
    assert "مرحبًا" in text and "Amina K." in text and "Oksana P." in text
    assert "المسجّلون: 2 من 4" in text
    assert "المخبز" in text, "the slot's title in the host's language"
    assert "Angemeldet" not in text and "Hallo" not in text and "Backstube" not in text
    html = arabic.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert 'lang="ar"' in html and 'dir="rtl"' in html

    [german] = digests_to(inbox, german_host.email, SUBJECT_DE)
    assert "2 von 4" in plain(german) and "Hallo" in plain(german) and "Backstube" in plain(german)

    rows = await OutboxMessage.select(OutboxMessage.staff_user_id, OutboxMessage.language).where(
        OutboxMessage.kind == "host_digest"
    )
    assert {row["staff_user_id"]: row["language"] for row in rows} == {site.host.id: "ar", german_host.id: "de"}


async def test_approval_and_decline_reach_each_host_in_their_language(client: Client, smtp: tuple[str, Inbox]) -> None:
    url, inbox = smtp
    site = await a_site(client)
    await set_language(site.host.id, "ar")
    german_host = await make_account("host", employer_id=site.employer_id)
    approved = await propose(client, site)
    await approve(client, site, approved["id"])
    declined = await propose(client, site)
    answer = await client.post(
        f"/api/v1/slots/{declined['id']}/decline",
        json={"reason": "Zu kurzfristig"},
        headers=site.coordinator.headers,
    )
    assert answer.status_code == 200, answer.text
    await run_worker_until_idle(REDIS_URL, channels(smtp_url=url))

    arabic = sorted(str(m["Subject"]) for m in inbox.to(site.host.email))
    assert len(arabic) == 2
    assert any(s.startswith("تمت الموافقة على موعد الزيارة") for s in arabic), arabic
    assert any(s.startswith("رُفض موعد الزيارة") for s in arabic), arabic
    [refusal] = [m for m in inbox.to(site.host.email) if str(m["Subject"]).startswith("رُفض")]
    assert "السبب: Zu kurzfristig" in plain(refusal)

    german = sorted(str(m["Subject"]) for m in inbox.to(german_host.email))
    assert any(s.startswith("Besuchstermin bestätigt") for s in german), german
    assert any(s.startswith("Besuchstermin abgelehnt") for s in german), german
