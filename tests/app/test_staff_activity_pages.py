"""Staff pages for activities: the list, the form with the recurrence builder, one activity with its sessions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from httpx import AsyncClient, Response

from scheduling import services
from tests.factories import PASSWORD, Account, make_account
from tests.scheduling.factories import create_activity, sessions_of

BERLIN = ZoneInfo("Europe/Berlin")


async def sign_in(client: AsyncClient, account: Account) -> None:
    page = await client.get("/staff/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    response = await client.post(
        "/staff/login",
        data={"email": account.email, "password": PASSWORD, "next": "/staff", "_csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code in (302, 303), response.text


async def csrf(client: AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


async def as_coordinator(client: AsyncClient) -> Account:
    account = await make_account("coordinator")
    await sign_in(client, account)
    return account


def weekly_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "kind": "small_group",
        "title_de": "Arbeitsleben in Deutschland",
        "title_ar": "الحياة العملية في ألمانيا",
        "description_de": "Jede Woche ein Thema.",
        "languages": ["de", "ar"],
        "venue_name": "Nachbarschaftshaus",
        "venue_address": "Lindenstraße 5, 10969 Berlin",
        "capacity": "12",
        "waitlist": "on",
        "timezone": "Europe/Berlin",
        "pattern": "weekly",
        "interval": "1",
        "weekdays": ["TH"],
        "start_date": "2027-10-07",
        "start_time": "10:00",
        "end_time": "14:00",
        "end": "until",
        "until": "2027-12-16",
        "skipped": "2027-10-28",
        "action": "save",
    }
    form.update(overrides)
    return form


async def post_form(client: AsyncClient, path: str, form: dict[str, Any], **kwargs: Any) -> Response:
    data = {**form, "_csrf_token": await csrf(client, path)}
    return await client.post(path, data=data, **kwargs)


def field_error(page: Response, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="{name}-error">([^<]+)</p>', page.text)
    assert match, f"no error at {name}"
    return match.group(1)


# --- creating a weekly series ------------------------------------------------------------


async def test_a_coordinator_creates_a_weekly_series_and_sees_its_sessions(client: AsyncClient) -> None:
    await as_coordinator(client)
    response = await post_form(client, "/staff/activities/new", weekly_form(), follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    activity_id = int(re.search(r"/staff/activities/(\d+)", location).group(1))  # type: ignore[union-attr]

    activity = await services.get_activity(activity_id, include_unpublished=True, staff=True)
    assert activity.rrule == "FREQ=WEEKLY;BYDAY=TH;UNTIL=20271216T225959Z"
    assert activity.start == "2027-10-07T10:00" and activity.duration_minutes == 240
    assert activity.exdates == ["2027-10-28"] and activity.capacity == 12
    assert activity.title == {"de": "Arbeitsleben in Deutschland", "ar": "الحياة العملية في ألمانيا"}
    sessions = await services.list_activity_sessions(activity_id)
    assert len(sessions) == 10
    assert {s.starts_at.astimezone(BERLIN).time() for s in sessions} == {time(10, 0)}

    page = await client.get(location + "&lang=en")
    assert page.status_code == 200
    assert "Arbeitsleben in Deutschland" in page.text and "Saved." in page.text
    assert "every Thursday, 10:00\u202fAM to 2:00\u202fPM, from Oct 7 until Dec 16, 2027" in page.text
    assert page.text.count('data-session="') == 10


async def test_the_preview_shows_the_rule_in_words_and_the_next_dates_without_saving(client: AsyncClient) -> None:
    await as_coordinator(client)
    form = weekly_form(action="preview")
    page = await post_form(client, "/staff/activities/new?lang=en", form, headers={"accept-language": "en"})
    assert page.status_code == 200, page.text
    words = re.search(r'data-testid="rule-words">([^<]+)<', page.text)
    assert words
    assert words.group(1).startswith("every Thursday, 10:00")
    assert "Dec 16, 2027" in words.group(1) and "not on Oct 28, 2027" in words.group(1)
    assert "10 sessions in all." in page.text
    assert page.text.count("<li>", page.text.index("preview-dates")) >= 10
    assert 'value="Arbeitsleben in Deutschland"' in page.text  # the form keeps what was typed
    assert await services.list_activities(services.ActivityFilter(include_unpublished=True)) == []


async def test_the_page_speaks_german(client: AsyncClient) -> None:
    await as_coordinator(client)
    page = await post_form(client, "/staff/activities/new?lang=de", weekly_form(action="preview"))
    assert "jeden Donnerstag" in page.text
    assert "Neue Veranstaltung" in page.text or "Neues Angebot" in page.text


async def test_monthly_series_every_second_tuesday(client: AsyncClient) -> None:
    await as_coordinator(client)
    form = weekly_form(pattern="monthly", month_week="2", month_weekday="TU", end="count", count="3", skipped="")
    response = await post_form(client, "/staff/activities/new", form, follow_redirects=False)
    assert response.status_code == 303, response.text
    activity_id = int(response.headers["location"].split("/")[3].split("?")[0])
    sessions = await services.list_activity_sessions(activity_id)
    assert [s.starts_at.astimezone(BERLIN).date().isoformat() for s in sessions] == [
        "2027-10-12",
        "2027-11-09",
        "2027-12-14",
    ]


# --- mistakes ------------------------------------------------------------------------------


async def test_mistakes_are_shown_next_to_their_fields_and_the_form_keeps_what_was_typed(client: AsyncClient) -> None:
    await as_coordinator(client)
    form = weekly_form(title_de="", weekdays=[], end_time="09:00", capacity="many", languages=[])
    page = await post_form(client, "/staff/activities/new?lang=en", form)
    assert page.status_code == 400
    assert field_error(page, "title_de") == "Write a title, at most 200 characters."
    assert field_error(page, "weekdays") == "Tick at least one weekday."
    assert field_error(page, "end_time") == "The end time must be after the start time."
    assert "from 1 to 100000" in field_error(page, "capacity")
    assert field_error(page, "languages")
    assert 'id="capacity" name="capacity" inputmode="numeric" value="many" aria-invalid="true"' in page.text
    assert 'value="Nachbarschaftshaus"' in page.text
    assert await services.list_activities(services.ActivityFilter(include_unpublished=True)) == []


async def test_errors_are_in_german_for_german_readers(client: AsyncClient) -> None:
    await as_coordinator(client)
    page = await post_form(client, "/staff/activities/new?lang=de", weekly_form(weekdays=[]))
    assert page.status_code == 400
    assert field_error(page, "weekdays") == "Kreuzen Sie mindestens einen Wochentag an."


async def test_a_start_in_the_clock_change_gap_is_an_error_at_the_time(client: AsyncClient) -> None:
    await as_coordinator(client)
    form = weekly_form(start_date="2027-03-28", start_time="02:30", end_time="04:00", weekdays=["SU"], until="")
    form.update(end="count", count="2", skipped="")
    page = await post_form(client, "/staff/activities/new?lang=en", form)
    assert page.status_code == 400
    assert "clocks jump forward" in field_error(page, "start_time")


async def test_an_unknown_time_zone_is_an_error_at_the_zone(client: AsyncClient) -> None:
    await as_coordinator(client)
    page = await post_form(client, "/staff/activities/new?lang=en", weekly_form(timezone="Mars/Olympus"))
    assert page.status_code == 400
    assert "Europe/Berlin" in field_error(page, "timezone")


# --- guards and CSRF ---------------------------------------------------------------------


async def test_signed_out_people_are_sent_to_the_login(client: AsyncClient) -> None:
    response = await client.get("/staff/activities/new", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/staff/login")


async def test_a_signed_out_post_is_refused(client: AsyncClient) -> None:
    page = await client.get("/staff/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    response = await client.post("/staff/activities/new", data={**weekly_form(), "_csrf_token": token.group(1)})
    assert response.status_code == 401


async def test_facilitators_may_look_but_not_create(client: AsyncClient) -> None:
    facilitator = await make_account("facilitator")
    await sign_in(client, facilitator)
    assert (await client.get("/staff/activities")).status_code == 200
    assert (await client.get("/staff/activities/new")).status_code == 403
    token = await csrf(client, "/staff/activities")
    response = await client.post("/staff/activities/new", data={**weekly_form(), "_csrf_token": token})
    assert response.status_code == 403
    assert await services.list_activities(services.ActivityFilter(include_unpublished=True)) == []


async def test_hosts_may_not_open_the_activities(client: AsyncClient) -> None:
    host = await make_account("host")
    await sign_in(client, host)
    assert (await client.get("/staff/activities")).status_code == 403


async def test_a_form_without_the_csrf_token_is_refused(client: AsyncClient) -> None:
    await as_coordinator(client)
    response = await client.post("/staff/activities/new", data=weekly_form())
    assert response.status_code == 403
    assert await services.list_activities(services.ActivityFilter(include_unpublished=True)) == []


# --- the list and one activity -------------------------------------------------------------


async def test_the_list_groups_by_kind_with_upcoming_sessions(client: AsyncClient) -> None:
    coordinator = await as_coordinator(client)
    await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    await create_activity(
        client,
        coordinator.headers,
        kind="cafe",
        title={"de": "Begegnungscafé"},
        start="2027-10-05T15:00",
        rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=3",
        exdates=[],
        capacity=None,
    )
    page = await client.get("/staff/activities?lang=en")
    assert page.status_code == 200
    assert 'id="kind-small_group"' in page.text and 'id="kind-cafe"' in page.text
    assert "8 sessions ahead" in page.text and "3 sessions ahead" in page.text
    only_cafes = await client.get("/staff/activities?kind=cafe&lang=en")
    assert "Begegnungscafé" in only_cafes.text and "Arbeitsleben" not in only_cafes.text


async def test_cancel_and_restore_a_session_from_the_activity_page(client: AsyncClient) -> None:
    coordinator = await as_coordinator(client)
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    first = (await sessions_of(client, activity["id"]))[0]["id"]
    path = f"/staff/activities/{activity['id']}"
    token = await csrf(client, path)
    response = await client.post(
        f"/staff/sessions/{first}/cancel", data={"_csrf_token": token, "back": path}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == path
    assert (await services.get_session(first)).status.value == "cancelled"
    response = await client.post(
        f"/staff/sessions/{first}/restore", data={"_csrf_token": token, "back": "https://evil.example/"}
    )
    assert (await services.get_session(first)).status.value == "scheduled"
    assert response.status_code in (200, 303)


# --- editing ------------------------------------------------------------------------------


async def test_the_edit_form_shows_the_stored_series(client: AsyncClient) -> None:
    coordinator = await as_coordinator(client)
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00")
    page = await client.get(f"/staff/activities/{activity['id']}/edit")
    assert page.status_code == 200
    assert 'id="weekday-TH" name="weekdays" value="TH" checked' in page.text
    assert 'name="count" inputmode="numeric" size="4" value="8"' in page.text
    assert 'value="2027-10-07"' in page.text and 'value="10:00"' in page.text and 'value="14:00"' in page.text


async def test_editing_a_future_series_changes_it_in_place(client: AsyncClient) -> None:
    coordinator = await as_coordinator(client)
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    path = f"/staff/activities/{activity['id']}/edit"
    today = datetime.now(UTC).astimezone(BERLIN).date().isoformat()
    form = weekly_form(weekdays=["TU"], end="count", count="4", skipped="", title_de="Neuer Titel", from_date=today)
    response = await post_form(client, path, form, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"/staff/activities/{activity['id']}")
    changed = await services.get_activity(activity["id"], include_unpublished=True)
    assert changed.rrule == "FREQ=WEEKLY;BYDAY=TU;COUNT=4" and changed.title["de"] == "Neuer Titel"
    sessions = await services.list_activity_sessions(activity["id"])
    assert [s.starts_at.astimezone(BERLIN).weekday() for s in sessions] == [1, 1, 1, 1]


async def test_editing_from_a_date_on_keeps_the_earlier_sessions_and_splits_the_series(client: AsyncClient) -> None:
    coordinator = await as_coordinator(client)
    start = (datetime.now(UTC) - timedelta(days=14)).astimezone(BERLIN).date()
    activity = await create_activity(
        client, coordinator.headers, start=f"{start.isoformat()}T10:00", rrule="FREQ=WEEKLY;COUNT=8", exdates=[]
    )
    before = await services.list_activity_sessions(activity["id"])
    cut = before[4].starts_at.astimezone(BERLIN).date()
    path = f"/staff/activities/{activity['id']}/edit"
    page = await client.get(path)
    assert 'name="from_date"' in page.text
    form = weekly_form(
        weekdays=[["MO", "TU", "WE", "TH", "FR", "SA", "SU"][start.weekday()]],
        start_date=start.isoformat(),
        start_time="11:00",
        end_time="13:00",
        end="count",
        count="8",
        skipped="",
        from_date=cut.isoformat(),
        title_ar="",
    )
    response = await post_form(client, path, form, follow_redirects=False)
    assert response.status_code == 303, response.text
    new_id = int(response.headers["location"].split("/")[3].split("?")[0])
    assert new_id != activity["id"]
    old_sessions = await services.list_activity_sessions(activity["id"])
    assert [s.starts_at for s in old_sessions] == [s.starts_at for s in before[:4]]
    new_sessions = await services.list_activity_sessions(new_id)
    assert len(new_sessions) == 4
    assert {s.starts_at.astimezone(BERLIN).time() for s in new_sessions} == {time(11, 0)}
    assert new_sessions[0].starts_at.astimezone(BERLIN).date() == cut
    old_page = await client.get(f"/staff/activities/{activity['id']}?past=1")
    assert f'href="/staff/activities/{new_id}"' in old_page.text


async def test_the_kind_of_an_activity_stays_when_it_is_edited(client: AsyncClient) -> None:
    coordinator = await as_coordinator(client)
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    path = f"/staff/activities/{activity['id']}/edit"
    page = await client.get(path)
    assert 'type="hidden" name="kind" value="small_group"' in page.text
    today = datetime.now(UTC).astimezone(BERLIN).date().isoformat()
    form = weekly_form(kind="cafe", end="count", count="8", skipped="", title_de="Anders", from_date=today)
    response = await post_form(client, path, form, follow_redirects=False)
    assert response.status_code == 303, response.text
    changed = await services.get_activity(activity["id"], include_unpublished=True)
    assert changed.kind.value == "small_group" and changed.title["de"] == "Anders"


async def test_a_rule_the_builder_cannot_show_is_named_and_the_hours_are_kept(client: AsyncClient) -> None:
    coordinator = await as_coordinator(client)
    activity = await create_activity(
        client, coordinator.headers, start="2027-10-07T10:00", rrule="FREQ=DAILY;COUNT=3", exdates=[]
    )
    page = await client.get(f"/staff/activities/{activity['id']}/edit?lang=en")
    assert page.status_code == 200
    assert "FREQ=DAILY;COUNT=3" in page.text and "cannot show" in page.text
    assert 'value="2027-10-07"' in page.text and 'value="10:00"' in page.text and 'value="14:00"' in page.text
    assert 'name="pattern" value="weekly" checked' not in page.text
    shown = await client.get(f"/staff/activities/{activity['id']}?lang=en")
    assert "FREQ=DAILY;COUNT=3" in shown.text


async def test_changing_only_the_title_of_a_running_series_does_not_split_it(client: AsyncClient) -> None:
    coordinator = await as_coordinator(client)
    start = (datetime.now(UTC) - timedelta(days=14)).astimezone(BERLIN).date()
    activity = await create_activity(
        client, coordinator.headers, start=f"{start.isoformat()}T10:00", rrule="FREQ=WEEKLY;COUNT=8", exdates=[]
    )
    path = f"/staff/activities/{activity['id']}/edit"
    page = await client.get(path)
    fields = dict(
        re.findall(
            r'<input id="[^"]+" name="(start_date|start_time|end_time|count|from_date)"[^>]*value="([^"]*)"', page.text
        )
    )
    form = weekly_form(
        weekdays=[["MO", "TU", "WE", "TH", "FR", "SA", "SU"][start.weekday()]],
        end="count",
        skipped="",
        title_de="Nur ein neuer Titel",
        title_ar="",
        **fields,
    )
    response = await post_form(client, path, form, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"/staff/activities/{activity['id']}?")
    changed = await services.get_activity(activity["id"], include_unpublished=True)
    assert changed.title["de"] == "Nur ein neuer Titel" and changed.rrule == "FREQ=WEEKLY;COUNT=8"
    assert len(await services.list_activity_sessions(activity["id"])) == 8
