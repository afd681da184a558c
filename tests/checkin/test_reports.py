"""The attendance report as CSV, for coordinators."""

from __future__ import annotations

import csv
import io

from httpx import AsyncClient as Client

from checkin.services import REPORT_COLUMNS
from tests.checkin.helpers import a_door, qr, register, scan


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


async def test_the_report_has_a_header_and_a_row_per_session(client: Client) -> None:
    door = await a_door(client)
    people = [await register(client, door.session_id, n) for n in range(1, 3)]
    await scan(client, door.facilitator, qr(people[0]["id"]), session_id=door.session_id)
    await client.post(
        f"/api/v1/sessions/{door.session_id}/walk-ins",
        json={"name": "W", "language": "de"},
        headers=door.facilitator.headers,
    )
    await client.post(
        f"/api/v1/sessions/{door.session_id}/anonymous-walk-ins", json={"delta": 2}, headers=door.facilitator.headers
    )
    response = await client.get(
        "/api/v1/reports/attendance.csv",
        params={"from": "2027-10-01", "to": "2027-10-15"},
        headers=door.coordinator.headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attendance-2027-10-01-2027-10-15.csv" in response.headers["content-disposition"]
    assert response.text.removeprefix("\ufeff").splitlines()[0] == ",".join(REPORT_COLUMNS)
    rows = parse(response.text)
    assert [int(r["session_id"]) for r in rows] == [door.sessions[0]["id"], door.sessions[1]["id"]]
    first = rows[0]
    assert (first["date"], first["start"], first["title"]) == ("2027-10-07", "10:00", "Arbeitsleben in Deutschland")
    assert (first["registered"], first["checked_in"], first["walk_ins"], first["anonymous_walk_ins"]) == (
        "2",
        "2",
        "1",
        "2",
    )
    assert first["attendance_total"] == "4"
    assert rows[1]["checked_in"] == "0"


async def test_report_cells_cannot_start_a_spreadsheet_formula(client: Client) -> None:
    door = await a_door(client, title={"de": '=HYPERLINK("http://evil")'})
    response = await client.get(
        "/api/v1/reports/attendance.csv",
        params={"from": "2027-10-01", "to": "2027-10-08"},
        headers=door.coordinator.headers,
    )
    assert parse(response.text)[0]["title"].startswith("'=")


async def test_the_report_needs_a_start_and_a_sensible_range(client: Client) -> None:
    door = await a_door(client)
    url = "/api/v1/reports/attendance.csv"
    for params, field in (({}, "from"), ({"from": "soon"}, "from"), ({"from": "2027-10-08", "to": "2027-10-01"}, "to")):
        response = await client.get(url, params=params, headers=door.coordinator.headers)
        assert response.status_code == 400, response.text
        assert response.json()["extra"] == {"field": field}


async def test_only_coordinators_get_the_report(client: Client) -> None:
    door = await a_door(client)
    url = "/api/v1/reports/attendance.csv?from=2027-10-01"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=door.facilitator.headers)).status_code == 403


async def test_the_xlsx_twin_has_the_same_rows(client: Client) -> None:
    from openpyxl import load_workbook

    door = await a_door(client)
    person = await register(client, door.session_id, 1)
    await scan(client, door.facilitator, qr(person["id"]), session_id=door.session_id)
    params = {"from": "2027-10-01", "to": "2027-10-15"}
    csv_rows = parse(
        (await client.get("/api/v1/reports/attendance.csv", params=params, headers=door.coordinator.headers)).text
    )
    response = await client.get("/api/v1/reports/attendance.xlsx", params=params, headers=door.coordinator.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == REPORT_COLUMNS
    assert len(values) - 1 == len(csv_rows)
    assert values[1][REPORT_COLUMNS.index("checked_in")] == 1
    assert (
        await client.get("/api/v1/reports/attendance.xlsx", params=params, headers=door.facilitator.headers)
    ).status_code == 403
