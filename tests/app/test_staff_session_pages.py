"""A session's page for staff: roster, waiting list, actions, and a message to everyone registered."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import AsyncClient, Response

from notifications.broadcast import queue_staff_message
from notifications.sending import deliver
from notifications.tables import OutboxMessage
from scheduling import services
from scheduling.tables import Registration
from tests.app.test_staff_activity_pages import csrf, sign_in
from tests.checkin.helpers import Door, a_door, qr, register, scan
from tests.factories import make_account
from tests.notifications.helpers import Gateway, Inbox, channels, sms_gateway, smtp_server


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    yield from smtp_server()


@pytest.fixture
def gateway() -> Iterator[tuple[str, Gateway]]:
    yield from sms_gateway()


def page_of(door: Door, rest: str = "") -> str:
    return f"/staff/sessions/{door.session_id}{rest}"


async def submit(client: AsyncClient, door: Door, action: str, **fields: Any) -> Response:
    fields.setdefault("_csrf_token", await csrf(client, page_of(door)))
    return await client.post(page_of(door, action), data=fields, follow_redirects=False)


async def small_full_session(client: AsyncClient) -> Door:
    """Two places, two confirmed, two waiting."""
    door = await a_door(client, capacity=2)
    for n in range(1, 5):
        await register(client, door.session_id, n, language="de" if n % 2 else "ar")
    return door


async def statuses(session_id: int) -> dict[str, str]:
    rows = await Registration.select(Registration.participant.name.as_alias("name"), Registration.status).where(
        Registration.session == session_id
    )
    return {row["name"]: row["status"] for row in rows}


# --- seeing the roster ---------------------------------------------------------------------


async def test_the_roster_shows_confirmed_waiting_with_positions_and_attendance(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await scan(client, door.coordinator, qr(1))
    await sign_in(client, door.coordinator)
    page = await client.get(page_of(door, "?lang=en"))
    assert page.status_code == 200
    confirmed = page.text[page.text.index('id="confirmed-heading"') : page.text.index('id="waiting-heading"')]
    waiting = page.text[page.text.index('id="waiting-heading"') :]
    assert "Person 1" in confirmed and "Person 2" in confirmed and "Person 3" not in confirmed
    assert 'data-position="1">1<' in waiting and 'data-position="2">2<' in waiting
    assert waiting.index("Person 3") < waiting.index("Person 4")
    assert "checked in at" in confirmed
    assert f'href="/staff/sessions/{door.session_id}/door"' in page.text


async def test_the_facilitator_of_the_activity_sees_the_roster_without_actions(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.facilitator)
    page = await client.get(page_of(door))
    assert page.status_code == 200
    assert "Person 3" in page.text
    assert "/registrations/" not in page.text and 'action="/staff/sessions/' not in page.text.split("logout")[-1]


async def test_another_facilitator_may_not_see_the_roster(client: AsyncClient) -> None:
    door = await small_full_session(client)
    stranger = await make_account("facilitator")
    await sign_in(client, stranger)
    assert (await client.get(page_of(door))).status_code == 403
    page = await client.get(page_of(door, "?lang=en"))
    assert page.status_code == 403 and "Person 1" not in page.text
    assert "ask a coordinator to add you to this activity" in page.text and 'href="/staff"' in page.text
    german = await client.get(page_of(door, "?lang=de"))
    assert german.status_code == 403 and "Bitten Sie die Koordination" in german.text


async def test_any_facilitator_sees_the_roster_of_an_activity_nobody_is_assigned_to(client: AsyncClient) -> None:
    door = await a_door(client, capacity=2, facilitator_ids=[])
    for n in range(1, 4):
        await register(client, door.session_id, n)
    await sign_in(client, await make_account("facilitator"))
    page = await client.get(page_of(door, "?lang=en"))
    assert page.status_code == 200, page.text
    assert "Person 1" in page.text and "Person 3" in page.text
    assert "/registrations/" not in page.text  # seeing, not acting: the actions are for coordinators
    first = await Registration.select(Registration.id).where(Registration.session == door.session_id).first()
    assert first is not None
    for action, fields in (
        ("/registrations", {"name": "Eve", "language": "de"}),
        (f"/registrations/{first['id']}/cancel", {}),
        (f"/registrations/{first['id']}/move", {"to_session": str(door.sessions[1]["id"])}),
    ):
        response = await submit(client, door, action, **fields)
        assert response.status_code == 403, action
    assert await statuses(door.session_id) == {
        "Person 1": "confirmed",
        "Person 2": "confirmed",
        "Person 3": "waitlisted",
    }


async def test_signed_out_people_are_sent_to_the_login(client: AsyncClient) -> None:
    door = await small_full_session(client)
    response = await client.get(page_of(door), follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/staff/login")


async def test_a_facilitator_may_not_act(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.facilitator)
    response = await submit(client, door, "/registrations", name="Eve", phone="0151 99999999", language="de")
    assert response.status_code == 403
    assert "Eve" not in await statuses(door.session_id)


async def test_actions_need_the_csrf_token(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    response = await client.post(page_of(door, "/registrations"), data={"name": "Eve", "language": "de"})
    assert response.status_code == 403
    assert "Eve" not in await statuses(door.session_id)


# --- acting on people ----------------------------------------------------------------------


async def test_add_a_person_by_hand(client: AsyncClient) -> None:
    door = await a_door(client)
    await sign_in(client, door.coordinator)
    response = await submit(client, door, "/registrations", name="Olena", phone="", email="", language="uk")
    assert response.status_code == 303
    assert response.headers["location"] == page_of(door, "?done=added")
    assert (await statuses(door.session_id))["Olena"] == "confirmed"
    page = await client.get(response.headers["location"] + "&lang=en")
    assert "The person is registered." in page.text


async def test_adding_with_mistakes_shows_them_at_the_field_and_keeps_what_was_typed(client: AsyncClient) -> None:
    door = await a_door(client)
    await sign_in(client, door.coordinator)
    response = await submit(client, door, "/registrations?lang=en", name="Olena", phone="12", language="uk")
    assert response.status_code == 400
    assert '<p class="field-error" id="phone-error">Check the phone number' in response.text
    assert 'value="Olena"' in response.text and 'value="12"' in response.text
    assert "Olena" not in await statuses(door.session_id)


async def test_cancelling_a_confirmed_person_moves_the_waiting_list_up(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    first = await Registration.select(Registration.id).where(Registration.session == door.session_id).first()
    assert first is not None
    response = await submit(client, door, f"/registrations/{first['id']}/cancel")
    assert response.status_code == 303
    assert await statuses(door.session_id) == {
        "Person 1": "cancelled",
        "Person 2": "confirmed",
        "Person 3": "confirmed",
        "Person 4": "waitlisted",
    }


async def test_a_registration_of_another_session_cannot_be_cancelled_here(client: AsyncClient) -> None:
    door = await small_full_session(client)
    other = door.sessions[1]["id"]
    elsewhere = await register(client, other, 9)
    await sign_in(client, door.coordinator)
    response = await submit(client, door, f"/registrations/{elsewhere['id']}/cancel")
    assert response.status_code == 404
    assert (await statuses(other))["Person 9"] == "confirmed"


async def test_a_cancelled_or_impossible_registration_is_gone(client: AsyncClient) -> None:
    door = await small_full_session(client)
    first = await Registration.select(Registration.id).where(
        Registration.session == door.session_id, Registration.participant.name == "Person 1"
    )
    await sign_in(client, door.coordinator)
    assert (await submit(client, door, f"/registrations/{first[0]['id']}/cancel")).status_code == 303
    again = await submit(client, door, f"/registrations/{first[0]['id']}/cancel")
    assert again.status_code == 404
    for registration_id in (first[0]["id"], 2**31, 2**40):
        moved = await submit(
            client, door, f"/registrations/{registration_id}/move", to_session=str(door.sessions[1]["id"])
        )
        assert moved.status_code == 404, registration_id
    assert "Person 1" not in await statuses(door.sessions[1]["id"])


async def test_move_a_person_to_another_date(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    waiting = await Registration.select(Registration.id).where(
        Registration.session == door.session_id, Registration.status == "waitlisted"
    )
    target = door.sessions[2]["id"]
    response = await submit(client, door, f"/registrations/{waiting[0]['id']}/move", to_session=str(target))
    assert response.status_code == 303
    assert (await statuses(target))["Person 3"] == "confirmed"
    assert (await statuses(door.session_id))["Person 3"] == "cancelled"


async def test_moving_to_a_session_of_another_activity_is_refused(client: AsyncClient) -> None:
    door = await small_full_session(client)
    other = await a_door(client)
    await sign_in(client, door.coordinator)
    first = await Registration.select(Registration.id).where(Registration.session == door.session_id).first()
    assert first is not None
    response = await submit(
        client, door, f"/registrations/{first['id']}/move?lang=en", to_session=str(other.session_id)
    )
    assert response.status_code == 400
    assert "Choose another date of this activity." in response.text


async def test_one_more_place_promotes_the_first_person_waiting(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    response = await submit(client, door, "/one-more-place")
    assert response.status_code == 303
    assert (await statuses(door.session_id))["Person 3"] == "confirmed"
    assert (await statuses(door.session_id))["Person 4"] == "waitlisted"
    assert (await services.get_session(door.session_id)).capacity == 3


async def test_promote_without_a_free_place_moves_nobody(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    response = await submit(client, door, "/promote")
    assert response.status_code == 303 and response.headers["location"].endswith("done=nobody_promoted")


# --- acting on the session -----------------------------------------------------------------


async def test_move_the_session_to_another_time(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    response = await submit(client, door, "/move", new_date="2027-10-08", new_time="11:30")
    assert response.status_code == 303
    moved = await services.get_session(door.session_id)
    assert moved.starts_at == datetime(2027, 10, 8, 9, 30, tzinfo=UTC)
    assert (moved.ends_at - moved.starts_at).total_seconds() == 4 * 3600
    assert await OutboxMessage.count().where(OutboxMessage.kind == "session_moved") == 4


async def test_moving_into_the_past_is_an_error_at_the_date(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    response = await submit(client, door, "/move?lang=en", new_date="2020-01-01", new_time="11:30")
    assert response.status_code == 400
    assert '<p class="field-error" id="new_date-error">A session cannot be moved into the past.' in response.text


async def test_cancel_the_session_with_a_reason(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    response = await submit(client, door, "/cancel", reason="Heizung kaputt")
    assert response.status_code == 303
    cancelled = await services.get_session(door.session_id)
    assert cancelled.status.value == "cancelled" and cancelled.cancel_reason == "Heizung kaputt"


# --- a message to everyone -----------------------------------------------------------------


async def test_a_message_is_queued_once_per_person_even_if_the_form_is_sent_twice(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    page = await client.get(page_of(door))
    key = re.search(r'name="message_key" value="([^"]+)"', page.text)
    assert key
    form = {
        "subject": "Raumwechsel",
        "text": "Wir treffen uns in Raum 2.",
        "waitlist": "on",
        "message_key": key.group(1),
    }
    first = await submit(client, door, "/message", **form)
    assert first.status_code == 303 and first.headers["location"].endswith("done=message_queued")
    again = await submit(client, door, "/message", **form)
    assert again.headers["location"].endswith("done=message_again")
    rows = await OutboxMessage.select().where(OutboxMessage.kind == "staff_message")
    assert len(rows) == 4
    assert len({row["registration_id"] for row in rows}) == 4
    assert {row["subject"] for row in rows} == {"Raumwechsel"}

    fresh = re.search(r'name="message_key" value="([^"]+)"', (await client.get(page_of(door))).text)
    assert fresh and fresh.group(1) != key.group(1)
    await submit(client, door, "/message", **{**form, "message_key": fresh.group(1)})
    assert await OutboxMessage.count().where(OutboxMessage.kind == "staff_message") == 8


async def test_the_waiting_list_can_be_left_out(client: AsyncClient) -> None:
    door = await small_full_session(client)
    result = await queue_staff_message(
        door.session_id, subject="Hallo", text="Bis Donnerstag!", message_key="k" * 16, include_waitlist=False
    )
    assert result.queued == 2


async def test_an_empty_message_is_an_error_at_the_field(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    response = await submit(client, door, "/message?lang=en", subject="Hallo", text="  ", message_key="a" * 32)
    assert response.status_code == 400
    assert '<p class="field-error" id="text-error">Write the message' in response.text
    assert 'value="Hallo"' in response.text
    assert await OutboxMessage.count().where(OutboxMessage.kind == "staff_message") == 0


async def test_each_person_gets_the_message_in_their_own_channel_and_language(
    client: AsyncClient, smtp: tuple[str, Inbox], gateway: tuple[str, Gateway]
) -> None:
    smtp_url, inbox = smtp
    sms_url, received = gateway
    door = await a_door(client)
    await register(client, door.session_id, 1, phone=None, email="amina@example.org", language="ar")
    await register(client, door.session_id, 2, phone="0151 23456789", language="de")
    await queue_staff_message(
        door.session_id, subject="Raumwechsel", text="Wir treffen uns in Raum 2.", message_key="m" * 20
    )
    rows = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.kind == "staff_message")
    midday = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)
    both = channels(smtp_url=smtp_url, sms_url=sms_url)
    assert [await deliver(row["id"], both, now=midday) for row in rows] == ["sent", "sent"]
    assert [await deliver(row["id"], both, now=midday) for row in rows] == ["nothing-to-do", "nothing-to-do"]

    mails = inbox.to("amina@example.org")
    assert len(mails) == 1
    assert mails[0]["Subject"] == "Raumwechsel"
    body = mails[0].get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Wir treffen uns in Raum 2." in text and "/r/" in text
    assert "مرحب" in text  # the greeting in Arabic
    assert len(received.received) == 1
    assert received.received[0]["to"] == "+4915123456789"
    assert received.received[0]["text"].startswith("Hallo Person 2,") and "Raum 2" in received.received[0]["text"]
    sent = await OutboxMessage.select(OutboxMessage.channel).where(OutboxMessage.kind == "staff_message")
    assert sorted(row["channel"] for row in sent) == ["email", "sms"]


async def test_two_sends_of_one_form_at_once_queue_each_person_once(client: AsyncClient) -> None:
    door = await small_full_session(client)
    results = await asyncio.gather(
        *[
            queue_staff_message(door.session_id, subject="Hallo", text="Bis Donnerstag!", message_key="same-key-0001")
            for _ in range(4)
        ]
    )
    assert sum(result.queued for result in results) == 4
    assert await OutboxMessage.count().where(OutboxMessage.kind == "staff_message") == 4


async def test_the_page_lists_the_messages_written_with_their_progress(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await queue_staff_message(door.session_id, subject="Raumwechsel", text="Raum 2.", message_key="first-message")
    await OutboxMessage.update({OutboxMessage.status: "sent"}).where(OutboxMessage.registration_id == 1)
    await sign_in(client, door.coordinator)
    page = await client.get(page_of(door, "?lang=en"))
    assert "Raumwechsel" in page.text and "sent to 1 of 4" in page.text


async def test_give_a_place_to_a_person_out_of_turn(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    last = await Registration.select(Registration.id).where(
        Registration.session == door.session_id, Registration.participant.name == "Person 4"
    )
    response = await submit(client, door, f"/registrations/{last[0]['id']}/give-place")
    assert response.status_code == 303 and response.headers["location"].endswith("done=given_place")
    assert await statuses(door.session_id) == {
        "Person 1": "confirmed",
        "Person 2": "confirmed",
        "Person 3": "waitlisted",
        "Person 4": "confirmed",
    }
    session = await services.get_session(door.session_id)
    assert session.capacity == 3 and session.confirmed == 3 and session.waitlisted == 1
    assert (
        await OutboxMessage.count().where(
            OutboxMessage.kind == "promoted", OutboxMessage.registration_id == last[0]["id"]
        )
        == 1
    )
    page = await client.get(page_of(door, "?lang=en"))
    assert 'data-position="1">1<' in page.text and "Person 3" in page.text


async def test_only_people_on_the_waiting_list_can_be_given_a_place(client: AsyncClient) -> None:
    door = await small_full_session(client)
    await sign_in(client, door.coordinator)
    first = await Registration.select(Registration.id).where(
        Registration.session == door.session_id, Registration.participant.name == "Person 1"
    )
    response = await submit(client, door, f"/registrations/{first[0]['id']}/give-place")
    assert response.status_code == 404
    session = await services.get_session(door.session_id)
    assert (session.capacity, session.confirmed, session.waitlisted) == (2, 2, 2)
