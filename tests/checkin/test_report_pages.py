"""The staff pages /staff/reports and /staff/activities/{id}/attendance, as a browser without JavaScript sees them."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET  # parses our own SVG, never outside input

from httpx import AsyncClient as Client

from tests.checkin.helpers import a_door
from tests.checkin.series_helpers import a_series
from tests.checkin.test_door_page import sign_in
from tests.factories import make_account

PERIOD = {"from": "2027-10-04", "to": "2027-10-24"}  # three whole weeks, Monday to Sunday


def the_chart(html: str) -> ET.Element:
    match = re.search(r"<svg xmlns=.*?</svg>", html, re.S)
    assert match, "no chart on the page"
    return ET.fromstring(match.group(0))  # noqa: S314


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


async def test_the_reports_page_shows_a_chart_with_its_numbers_in_a_table(client: Client) -> None:
    series = await a_series(client)
    await sign_in(client, series.door.coordinator)
    page = await client.get("/staff/reports", params={**PERIOD, "lang": "en"})
    assert page.status_code == 200, page.text
    assert "<script" not in page.text
    svg = the_chart(page.text)
    assert svg.get("role") == "img" and svg.get("direction") == "ltr"
    title = svg.find("{http://www.w3.org/2000/svg}title")
    desc = svg.find("{http://www.w3.org/2000/svg}desc")
    assert title is not None and "Attendance per week" in (title.text or "")
    assert desc is not None and "4 people registered, 2 of them attended" in (desc.text or "")
    rows = re.findall(
        r'<th scope="row">([^<]+) <span class="hint">\(<bdi>(\d{4}-W\d\d)</bdi>\)</span></th>\s*'
        r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>",
        page.text,
    )
    assert [(iso, s, r, a, w) for _, iso, s, r, a, w in rows] == [
        ("2027-W40", "1", "1", "1", "1"),
        ("2027-W41", "1", "2", "1", "0"),
        ("2027-W42", "1", "1", "0", "0"),
    ]
    for link in ("attendance.csv", "attendance.xlsx", "people.csv", "people.xlsx"):
        assert f'href="/staff/reports/{link}?from=2027-10-04&amp;to=2027-10-24"' in page.text
    assert 'class="legend"' in page.text and "Walk-ins" in page.text


async def test_without_a_period_the_page_shows_the_last_twelve_weeks(client: Client) -> None:
    door = await a_door(client)
    await sign_in(client, door.coordinator)
    page = await client.get("/staff/reports", params={"lang": "en"})
    assert page.status_code == 200, page.text
    assert len(re.findall(r'<span class="hint">\(<bdi>\d{4}-W\d\d</bdi>\)</span>', page.text)) == 12
    assert "Nobody was expected in this period." in page.text  # the door's sessions are next year
    assert "No sessions in this period." in page.text


async def test_a_period_that_ends_before_it_starts_is_explained_next_to_the_field(client: Client) -> None:
    door = await a_door(client)
    await sign_in(client, door.coordinator)
    page = await client.get("/staff/reports", params={"from": "2027-10-24", "to": "2027-10-04", "lang": "en"})
    assert page.status_code == 400
    assert 'id="period-to-error">The end date is before the start date.</p>' in page.text
    assert 'aria-describedby="period-to-error"' in page.text
    assert 'value="2027-10-24"' in page.text  # what was typed stays
    german = await client.get("/staff/reports", params={"from": "gestern", "lang": "de"})
    assert german.status_code == 400
    assert 'id="period-from-error">Bitte geben Sie ein Datum an' in german.text
    download = await client.get("/staff/reports/people.csv", params={"from": "2027-10-24", "to": "2027-10-04"})
    assert download.status_code == 400
    assert download.json()["extra"] == {"field": "to"}


async def test_the_downloads_of_the_page_match_the_api(client: Client) -> None:
    series = await a_series(client)
    await sign_in(client, series.door.coordinator)
    for name, api in (("attendance.csv", "attendance.csv"), ("people.csv", "attendance/people.csv")):
        page = await client.get(f"/staff/reports/{name}", params=PERIOD)
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/csv")
        from_api = await client.get(
            f"/api/v1/reports/{api}",
            params={"from": "2027-10-04", "to": "2027-10-25"},
            headers=series.door.coordinator.headers,
        )
        assert parse_csv(page.text) == parse_csv(from_api.text) != []
    workbook = await client.get("/staff/reports/people.xlsx", params=PERIOD)
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")


async def test_a_kind_filter_narrows_the_chart(client: Client) -> None:
    series = await a_series(client)
    await sign_in(client, series.door.coordinator)
    page = await client.get("/staff/reports", params={**PERIOD, "kind": "cafe", "lang": "en"})
    assert page.status_code == 200
    assert '<option value="cafe" selected>' in page.text
    assert "Nobody was expected in this period." in page.text


async def test_the_arabic_page_is_right_to_left_but_the_chart_reads_left_to_right(client: Client) -> None:
    series = await a_series(client)
    await sign_in(client, series.door.coordinator)
    page = await client.get("/staff/reports", params={**PERIOD, "lang": "ar"})
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text
    assert 'class="chart-scroll" dir="ltr"' in page.text
    assert the_chart(page.text).get("direction") == "ltr"
    assert "الحضور" in page.text


async def test_only_coordinators_and_admins_open_the_reports_page(client: Client) -> None:
    door = await a_door(client)
    anonymous = await client.get("/staff/reports", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/staff/login" in anonymous.headers["location"]
    await sign_in(client, door.facilitator)
    assert (await client.get("/staff/reports")).status_code == 403
    assert (await client.get("/staff/reports/people.csv")).status_code == 403
    await sign_in(client, await make_account("admin"))
    assert (await client.get("/staff/reports")).status_code == 200


async def test_the_attendance_page_shows_people_by_sessions(client: Client) -> None:
    series = await a_series(client)
    await sign_in(client, series.door.facilitator)
    url = f"/staff/activities/{series.door.activity['id']}/attendance"
    page = await client.get(url, params={"from": "2027-10-01", "to": "2027-10-31", "lang": "en"})
    assert page.status_code == 200, page.text
    assert "<script" not in page.text
    names = re.findall(r'<th scope="row" class="who">([^<]+)</th>', page.text)
    assert names == ["Amal", "Boris", "Zara", "Present"]
    amal = page.text.split('class="who">Amal</th>')[1].split("</tr>")[0]
    assert "50%" in amal and "(1/2)" in amal
    assert re.findall(r'class="visually-hidden">([^<]+)</span></td>', amal) == [
        "Present",
        "No-show",
        "Excused (cancelled in time)",
        "Session cancelled",
    ]
    assert f'href="/staff/sessions/{series.session(0)}"' in page.text
    assert "(Cancelled)" in page.text  # the fourth session's header says so in words


async def test_the_attendance_page_is_for_the_activitys_staff_only(client: Client) -> None:
    door = await a_door(client)
    url = f"/staff/activities/{door.activity['id']}/attendance"
    anonymous = await client.get(url, follow_redirects=False)
    assert anonymous.status_code in (302, 303)
    await sign_in(client, await make_account("facilitator"))
    assert (await client.get(url)).status_code == 403
    await sign_in(client, door.coordinator)
    assert (await client.get(url)).status_code == 200
    assert (await client.get("/staff/activities/424242/attendance")).status_code == 404
    reversed_period = await client.get(url, params={"from": "2027-11-01", "to": "2027-10-01", "lang": "en"})
    assert reversed_period.status_code == 400
    assert "The end date is before the start date." in reversed_period.text


async def test_the_attendance_page_follows_the_facilitator_rule(client: Client) -> None:
    closed = await a_door(client)
    shared = await a_door(client, facilitator_ids=[])
    await sign_in(client, await make_account("facilitator"))
    refused = await client.get(f"/staff/activities/{closed.activity['id']}/attendance", params={"lang": "en"})
    assert refused.status_code == 403
    assert "ask a coordinator to add you to this activity" in refused.text
    opened = await client.get(f"/staff/activities/{shared.activity['id']}/attendance", params={"lang": "en"})
    assert opened.status_code == 200, opened.text
    await sign_in(client, closed.facilitator)  # assigned to one activity, and the shared one is theirs too
    for door in (closed, shared):
        assert (await client.get(f"/staff/activities/{door.activity['id']}/attendance")).status_code == 200


async def test_dates_out_of_any_sensible_range_are_form_errors(client: Client) -> None:
    door = await a_door(client)
    await sign_in(client, door.coordinator)
    for params, field in (
        ({"from": "0001-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "2027-02-30"}, "from"),
    ):
        page = await client.get("/staff/reports", params={**params, "lang": "en"})
        assert page.status_code == 400, (params, page.text)
        assert f'id="period-{field}-error">Please give a date' in page.text
        matrix = await client.get(f"/staff/activities/{door.activity['id']}/attendance", params=params)
        assert matrix.status_code == 400, params
        download = await client.get("/staff/reports/people.xlsx", params=params)
        assert download.status_code == 400 and download.json()["extra"] == {"field": field}


async def test_extreme_dates_in_the_api_are_client_errors(client: Client) -> None:
    door = await a_door(client)
    urls = [
        "/api/v1/reports/attendance/people",
        "/api/v1/reports/attendance/weekly",
        f"/api/v1/activities/{door.activity['id']}/attendance",
    ]
    for url in urls:
        for params in ({"to": "0001-01-01"}, {"from": "0001-01-01", "to": "0001-01-02"}, {"from": "9999-12-31"}):
            response = await client.get(url, params=params, headers=door.coordinator.headers)
            assert 400 <= response.status_code < 500, (url, params, response.text)


async def test_with_several_kinds_each_kind_gets_its_own_chart_and_table(client: Client) -> None:
    from tests.scheduling.factories import create_activity, sessions_of

    series = await a_series(client)
    coordinator = series.door.coordinator
    cafe = await create_activity(
        client,
        coordinator.headers,
        kind="cafe",
        title={"de": "Sprachcafé"},
        start="2027-10-05T15:00",
        duration_minutes=120,
        rrule="FREQ=WEEKLY;COUNT=3",
        exdates=[],
        capacity=None,
    )
    first_cafe = int((await sessions_of(client, cafe["id"]))[0]["id"])
    await client.post(
        f"/api/v1/sessions/{first_cafe}/anonymous-walk-ins", json={"delta": 5}, headers=coordinator.headers
    )
    await sign_in(client, coordinator)
    page = await client.get("/staff/reports", params={**PERIOD, "lang": "en"})
    assert page.status_code == 200, page.text
    charts = [
        ET.fromstring(svg)  # noqa: S314
        for svg in re.findall(r"<svg xmlns=.*?</svg>", page.text, re.S)
    ]
    assert [c.get("id") for c in charts] == ["chart-all", "chart-small_group", "chart-cafe"]
    assert all(c.get("role") == "img" for c in charts)
    titles = [c.find("{http://www.w3.org/2000/svg}title").text for c in charts]  # type: ignore[union-attr]
    assert titles == [
        "Attendance per week (all kinds)",
        "Attendance per week (Small group)",
        "Attendance per week (Meeting café)",
    ]
    cafe_table = page.text.split('id="kind-cafe-caption"')[1]
    first_week = re.search(r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", cafe_table)
    assert first_week and first_week.groups() == ("1", "0", "0", "5")
    filtered = await client.get("/staff/reports", params={**PERIOD, "kind": "cafe", "lang": "en"})
    assert len(re.findall(r"<svg xmlns=", filtered.text)) == 1  # one kind asked for: one chart
