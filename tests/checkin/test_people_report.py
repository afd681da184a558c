"""Attendance per person over a period (JSON, CSV, XLSX) and per week, for coordinators."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from httpx import AsyncClient as Client

from checkin.services import PEOPLE_COLUMNS
from tests.checkin.helpers import a_door
from tests.checkin.series_helpers import OCTOBER, a_series
from tests.factories import make_account


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


async def test_each_person_has_their_counts_and_rate(client: Client) -> None:
    series = await a_series(client)
    response = await client.get(
        "/api/v1/reports/attendance/people", params=OCTOBER, headers=series.door.coordinator.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["start"] == "2027-09-30T22:00:00Z" and body["end"] == "2027-10-31T23:00:00Z"
    people = {p["name"]: p for p in body["people"]}
    assert list(people) == ["Amal", "Boris", "Zara"]
    amal = people["Amal"]
    assert amal["participant_id"] == series.amal
    assert (amal["sessions"], amal["present"], amal["no_shows"], amal["excused"], amal["cancelled"]) == (4, 1, 1, 1, 1)
    assert amal["rate"] == 0.5 and amal["activities"] == 1
    assert (amal["first_present"], amal["last_present"]) == ("2027-10-07", "2027-10-07")
    boris = people["Boris"]
    assert (boris["sessions"], boris["present"], boris["upcoming"], boris["rate"]) == (3, 1, 1, 1.0)
    zara = people["Zara"]
    assert (zara["present"], zara["walk_ins"], zara["language"]) == (1, 1, "fa")


async def test_the_csv_and_xlsx_downloads_have_the_same_rows(client: Client) -> None:
    from openpyxl import load_workbook

    series = await a_series(client)
    headers = series.door.coordinator.headers
    as_json = (await client.get("/api/v1/reports/attendance/people", params=OCTOBER, headers=headers)).json()
    response = await client.get("/api/v1/reports/attendance/people.csv", params=OCTOBER, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="people-2027-10-01-2027-11-01.csv"' in response.headers["content-disposition"]
    assert response.text.removeprefix("\ufeff").splitlines()[0] == ",".join(PEOPLE_COLUMNS)
    rows = parse(response.text)
    assert [r["name"] for r in rows] == [p["name"] for p in as_json["people"]]
    assert [r["rate"] for r in rows] == ["0.5", "1.0", "1.0"]
    workbook = await client.get("/api/v1/reports/attendance/people.xlsx", params=OCTOBER, headers=headers)
    assert workbook.status_code == 200
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == PEOPLE_COLUMNS
    assert [row[PEOPLE_COLUMNS.index("present")] for row in values[1:]] == [1, 1, 1]


async def test_names_cannot_start_a_spreadsheet_formula(client: Client) -> None:
    door = await a_door(client)
    await client.post(
        f"/api/v1/sessions/{door.session_id}/walk-ins",
        json={"name": "=cmd|' /C calc'!A0", "language": "de"},
        headers=door.facilitator.headers,
    )
    response = await client.get(
        "/api/v1/reports/attendance/people.csv", params=OCTOBER, headers=door.coordinator.headers
    )
    assert parse(response.text)[0]["name"].startswith("'=")


async def test_without_a_period_it_is_the_last_twelve_weeks(client: Client) -> None:
    door = await a_door(client)
    response = await client.get("/api/v1/reports/attendance/people", headers=door.coordinator.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["people"] == []  # the door's sessions are next year
    start, end = (datetime.fromisoformat(body[key].replace("Z", "+00:00")) for key in ("start", "end"))
    assert (end - start).days == 84


async def test_the_period_must_run_forwards_and_not_too_long(client: Client) -> None:
    door = await a_door(client)
    for path in ("people", "people.csv", "people.xlsx", "weekly"):
        url = f"/api/v1/reports/attendance/{path}"
        response = await client.get(
            url, params={"from": "2027-11-01", "to": "2027-10-01"}, headers=door.coordinator.headers
        )
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert body["extra"] == {"field": "to"}
        assert "ends before it starts" in body["detail"]
    too_long = await client.get(
        "/api/v1/reports/attendance/people",
        params={"from": "2020-01-01", "to": "2027-01-01"},
        headers=door.coordinator.headers,
    )
    assert too_long.status_code == 400 and "three years" in too_long.json()["detail"]
    same = await client.get(
        "/api/v1/reports/attendance/people",
        params={"from": "2027-10-01", "to": "2027-10-01"},
        headers=door.coordinator.headers,
    )
    assert same.status_code == 400


async def test_only_coordinators_and_admins_get_the_people_report(client: Client) -> None:
    door = await a_door(client)
    for path in ("people", "people.csv", "people.xlsx", "weekly"):
        url = f"/api/v1/reports/attendance/{path}"
        assert (await client.get(url)).status_code == 401, path
        assert (await client.get(url, headers=door.facilitator.headers)).status_code == 403, path
        assert (await client.get(url, headers=(await make_account("host")).headers)).status_code == 403, path
        assert (await client.get(url, headers=(await make_account("admin")).headers)).status_code == 200, path


async def test_the_weekly_report_counts_registered_attended_and_walk_ins(client: Client) -> None:
    series = await a_series(client)
    await client.post(
        f"/api/v1/sessions/{series.session(1)}/anonymous-walk-ins",
        json={"delta": 3},
        headers=series.door.facilitator.headers,
    )
    response = await client.get(
        "/api/v1/reports/attendance/weekly",
        params={"from": "2027-10-04", "to": "2027-10-25"},
        headers=series.door.coordinator.headers,
    )
    assert response.status_code == 200, response.text
    weeks = response.json()["weeks"]
    assert [w["week"] for w in weeks] == ["2027-W40", "2027-W41", "2027-W42"]
    assert [(w["registered"], w["attended"], w["walk_ins"]) for w in weeks] == [(1, 1, 1), (2, 1, 3), (1, 0, 0)]
    assert weeks[0]["by_kind"] == {"small_group": {"sessions": 1, "registered": 1, "attended": 1, "walk_ins": 1}}
    assert response.json()["totals"]["small_group"]["sessions"] == 3
    cafes = await client.get(
        "/api/v1/reports/attendance/weekly",
        params={"from": "2027-10-04", "to": "2027-10-25", "kind": "cafe"},
        headers=series.door.coordinator.headers,
    )
    assert [(w["sessions"], w["registered"]) for w in cafes.json()["weeks"]] == [(0, 0)] * 3
    assert cafes.json()["totals"] == {}


async def test_reading_names_and_attendance_is_in_the_audit_log(client: Client) -> None:
    from app.privacy.tables import AuditEntry

    series = await a_series(client)
    coordinator = series.door.coordinator
    await client.get("/api/v1/reports/attendance/people", params=OCTOBER, headers=coordinator.headers)
    await client.get("/api/v1/reports/attendance/people.csv", params=OCTOBER, headers=coordinator.headers)
    await client.get(
        f"/api/v1/activities/{series.door.activity['id']}/attendance",
        params=OCTOBER,
        headers=series.door.facilitator.headers,
    )
    await client.get("/api/v1/reports/attendance/weekly", params=OCTOBER, headers=coordinator.headers)
    entries = await AuditEntry.select(AuditEntry.user_id, AuditEntry.action, AuditEntry.subject).order_by(AuditEntry.id)
    reads = [(e["user_id"], e["action"], e["subject"]) for e in entries if e["action"] != "roster.read"]
    assert reads == [
        (coordinator.id, "report.people", "people-2027-10-01-2027-11-01"),
        (coordinator.id, "report.people", "people-2027-10-01-2027-11-01.csv"),
        (series.door.facilitator.id, "attendance.read", f"activity:{series.door.activity['id']}"),
    ]  # the weekly report holds no names, so reading it is not recorded
