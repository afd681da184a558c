"""The one-second memory of public answers (app/public_cache.py): fast, never personal, never stale after a change."""

from __future__ import annotations

import pytest
from httpx import AsyncClient as Client

from app import public_cache
from scheduling.services import SignUp, sign_up
from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of

SIGN_UP = {"name": "Amina Haddad", "language": "ar", "consent": True}


async def one_session(client: Client, capacity: int = 3) -> tuple[int, int, dict[str, str]]:
    coordinator = await make_account("coordinator")
    activity = await create_activity(
        client, coordinator.headers, start="2027-01-07T10:00", rrule=None, exdates=[], capacity=capacity
    )
    session_id = (await sessions_of(client, activity["id"]))[0]["id"]
    return activity["id"], session_id, coordinator.headers


async def test_a_sign_up_shows_on_the_next_page_at_once(client: Client) -> None:
    _, session_id, _ = await one_session(client)
    first = await client.get("/?lang=en")
    assert "3 places left" in first.text
    assert (await client.get("/?lang=en")).text == first.text  # the kept answer
    body = {**SIGN_UP, "phone": "0151 23456781"}
    signed = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)
    assert signed.status_code == 201, signed.text
    assert "2 places left" in (await client.get("/?lang=en")).text


async def test_answers_are_kept_per_language(client: Client) -> None:
    await one_session(client)
    english = await client.get("/", headers={"accept-language": "en"})
    arabic = await client.get("/", headers={"accept-language": "ar"})
    assert 'lang="en"' in english.text and 'lang="ar"' in arabic.text
    client.cookies.set("tp_lang", "de")
    assert 'lang="de"' in (await client.get("/", headers={"accept-language": "en"})).text


async def test_the_csrf_cookie_of_the_first_visitor_is_not_handed_on(client: Client) -> None:
    await one_session(client)
    first = await client.get("/?lang=en")
    assert "tp_csrf" in first.headers.get("set-cookie", "")  # the page gives its first visitor one
    client.cookies.clear()
    second = await client.get("/?lang=en")
    assert second.text == first.text
    assert "tp_csrf" not in second.headers.get("set-cookie", "")


async def sign_up_elsewhere(session_id: int, phone: str) -> None:
    """A sign-up that does not pass this process's middleware (another web process, the worker)."""
    await sign_up(session_id, SignUp(name="Omid Rahimi", language="fa", phone=phone, consent=True))


async def test_a_change_made_elsewhere_shows_once_the_answer_expires(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, session_id, _ = await one_session(client)
    await client.get("/?lang=en")  # sets the language cookie, which is part of the key from now on
    assert "3 places left" in (await client.get("/?lang=en")).text
    await sign_up_elsewhere(session_id, "0151 23456782")
    assert "3 places left" in (await client.get("/?lang=en")).text  # kept, for at most TTL_SECONDS
    later = public_cache.memory.clock() + public_cache.TTL_SECONDS
    monkeypatch.setattr(public_cache.memory, "clock", lambda: later)
    assert "2 places left" in (await client.get("/?lang=en")).text


async def test_a_signed_in_person_never_gets_a_kept_answer(client: Client) -> None:
    _, session_id, _ = await one_session(client)
    assert "3 places left" in (await client.get("/?lang=en")).text
    await sign_up_elsewhere(session_id, "0151 23456783")
    coordinator = await make_account("coordinator", email="signed-in@example.org")
    assert "2 places left" in (await client.get("/?lang=en", headers=coordinator.headers)).text
    client.cookies.set("tp_session", "someone's session")
    assert "2 places left" in (await client.get("/?lang=en")).text
    assert len(public_cache.memory.answers) == 1  # only the anonymous answer was kept


async def test_conditional_requests_still_get_304(client: Client) -> None:
    activity_id, _, _ = await one_session(client)
    first = await client.get(f"/ics/activities/{activity_id}.ics")
    again = await client.get(f"/ics/activities/{activity_id}.ics")
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    unchanged = await client.get(f"/ics/activities/{activity_id}.ics", headers={"if-none-match": first.headers["etag"]})
    assert unchanged.status_code == 304


async def test_a_failed_change_also_forgets_but_nothing_breaks(client: Client) -> None:
    _, session_id, _ = await one_session(client, capacity=1)
    await client.get("/?lang=en")
    refused = await client.post(f"/api/v1/sessions/{session_id}/registrations", json={"name": "x", "language": "ar"})
    assert refused.status_code == 400
    assert not public_cache.memory.answers
    assert "1 place left" in (await client.get("/?lang=en")).text


def test_the_memory_stays_within_its_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    memory = public_cache._Memory()
    monkeypatch.setattr(public_cache, "MAX_TOTAL_BYTES", 1000)
    for n in range(10):
        key = (f"/ics/activities/{n}.ics", b"", b"", "")
        memory.keep(key, public_cache._Answer(0, memory.clock() + 60, 200, [], b"x" * 300))
    assert memory.size <= 1000 and len(memory.answers) == 3
    assert ("/ics/activities/9.ics", b"", b"", "") in memory.answers  # the newest stay
    monkeypatch.setattr(public_cache, "MAX_ENTRIES", 2)
    memory.keep(("/", b"", b"", ""), public_cache._Answer(0, memory.clock() + 60, 200, [], b"y"))
    assert len(memory.answers) == 2 and memory.size == 301
