"""A message is rendered once per session and language, then the person's name and link are filled in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifications.kinds import MessageKind
from notifications.messages import MessageData, render, render_uncached

STARTS = datetime(2027, 3, 4, 17, 0, tzinfo=UTC)


def data(kind: MessageKind, language: str, name: str, **overrides: object) -> MessageData:
    values: dict[str, object] = {
        "kind": kind,
        "language": language,
        "name": name,
        "title": "Sprachcafé <Mitte> & mehr",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=2),
        "timezone": "Europe/Berlin",
        "place": 'Stadtteilzentrum "Nord", Hauptstraße 10',
        "manage_url": "https://treffpunkt.example.org/r/Ab3_x-Yz",
        "waitlist_position": 4 if kind is MessageKind.waitlisted else None,
        **overrides,
    }
    return MessageData(**values)  # type: ignore[arg-type]


NAMES = ["Amina", 'O\'Brien <b>&amp;</b> "Jo"', "Олена", "أمينة", "Name with \ue001 and \ue000 in it"]


@pytest.mark.parametrize("language", ["de", "ar", "uk", "en", "xx"])
@pytest.mark.parametrize(
    "kind",
    [
        MessageKind.confirmed,
        MessageKind.waitlisted,
        MessageKind.reminder_day_before,
        MessageKind.session_cancelled,
        MessageKind.slot_declined,
    ],
)
def test_filled_in_messages_are_exactly_what_a_full_rendering_gives(kind: MessageKind, language: str) -> None:
    for n, name in enumerate(NAMES):
        url = f"https://treffpunkt.example.org/r/token-{n}"
        person = data(kind, language, name, manage_url=url, reason="Zu <wenige> Plätze")
        assert render(person) == render_uncached(person)


def test_a_stand_in_character_in_staff_text_is_rendered_without_the_cache() -> None:
    person = data(MessageKind.confirmed, "de", "Amina", title="Café \ue000")
    rendered = render(person)
    assert rendered == render_uncached(person)
    assert "Café \ue000" in rendered.text and "Amina" in rendered.text
