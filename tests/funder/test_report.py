"""The funder report: counts by indicator, sessions and hours, company visits, suppression, files."""

from __future__ import annotations

import csv
import io
from typing import Any

from httpx import AsyncClient as Client
from openpyxl import load_workbook

from tests.checkin.helpers import qr, scan
from tests.factories import Account, make_account
from tests.funder.helpers import a_group, a_person, give_consent, put_profile
from tests.scheduling.factories import create_activity, sessions_of

OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}

# Seven people entering in October 2026, one in September, two of them leaving in October.
PEOPLE: list[dict[str, Any]] = [
    {"entry_date": "2026-10-01", "values": {"age_band": "18_29", "gender": "female", "disability": "yes"}},
    {"entry_date": "2026-10-02", "values": {"age_band": "18_29", "gender": "female"}},
    {"entry_date": "2026-10-03", "values": {"age_band": "18_29", "gender": "female"}},
    {"entry_date": "2026-10-04", "values": {"age_band": "18_29", "gender": "female"}},
    {"entry_date": "2026-10-05", "values": {"age_band": "18_29", "gender": "female"}},
    {
        "entry_date": "2026-10-06",
        "exit_date": "2026-10-20",
        "values": {"age_band": "30_54", "gender": "male", "situation_at_exit": "employment"},
    },
    {
        "entry_date": "2026-10-31",
        "exit_date": "2026-10-31",
        "values": {"age_band": "55_plus", "situation_at_exit": "job_seeking"},
    },
    {"entry_date": "2026-09-30", "values": {"age_band": "under_18", "gender": "diverse"}},
]


async def _scene(client: Client) -> Account:
    coordinator = await make_account("coordinator")
    group = await a_group(client, coordinator)  # four sessions of 4 hours in October 2026
    cafe = await create_activity(
        client,
        coordinator.headers,
        kind="cafe",
        start="2026-10-02T15:00",
        duration_minutes=90,
        rrule="FREQ=WEEKLY;COUNT=2",
        exdates=[],
        capacity=None,
    )
    await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])  # not held yet
    employer = await client.post(
        "/api/v1/employers",
        json={"name": "Bäckerei Sonnenkorn", "address": "Hauptstraße 1"},
        headers=coordinator.headers,
    )
    assert employer.status_code == 201, employer.text
    visit = await create_activity(
        client,
        coordinator.headers,
        kind="company_visit",
        start="2026-10-15T09:00",
        duration_minutes=120,
        rrule=None,
        exdates=[],
        capacity=10,
        employer_id=employer.json()["id"],
    )
    visit_session = (await sessions_of(client, visit["id"], coordinator.headers))[0]
    door = await make_account("admin")
    for n in (101, 102):
        person = await a_person(visit_session, n)
        from scheduling.tables import Registration

        row = await Registration.select(Registration.id).where(Registration.participant == person).first()
        assert row is not None
        assert (await scan(client, door, qr(row["id"]))).json()["result"] == "ok"
    assert len(await sessions_of(client, cafe["id"], coordinator.headers)) == 2
    for n, profile in enumerate(PEOPLE, start=1):
        person = await a_person(group[0], n)
        if "disability" in profile["values"]:
            await give_consent(client, coordinator, person)
        response = await put_profile(client, coordinator, person, **profile)
        assert response.status_code == 200, response.text
    return coordinator


def _tables(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        t["key"]: {
            **{row["code"] or "not_recorded": row["values"] for row in t["rows"]},
            "total": t["total"]["values"] if t["total"] else None,
        }
        for t in body["tables"]
    }


async def test_the_internal_view_counts_every_indicator(client: Client) -> None:
    coordinator = await _scene(client)
    response = await client.get(
        "/api/v1/reports/funder", params={**OCTOBER, "internal": "true", "lang": "en"}, headers=coordinator.headers
    )
    assert response.status_code == 200, response.text
    tables = _tables(response.json())
    assert tables["entry:age_band"] == {
        "under_18": [0],
        "18_29": [5],
        "30_54": [1],
        "55_plus": [1],
        "not_recorded": [0],
        "total": [7],
    }
    assert tables["entry:gender"] == {
        "female": [5],
        "male": [1],
        "diverse": [0],
        "not_stated": [0],
        "not_recorded": [1],
        "total": [7],
    }
    assert tables["entry:disability"]["yes"] == [1] and tables["entry:disability"]["not_recorded"] == [6]
    assert tables["exit:situation_at_exit"] == {
        "employment": [1],
        "education_training": [0],
        "job_seeking": [1],
        "other": [0],
        "not_recorded": [0],
        "total": [2],
    }
    assert tables["sessions"]["small_group"] == [4, 16.0]
    assert tables["sessions"]["cafe"] == [2, 3.0]
    assert tables["sessions"]["company_visit"] == [1, 2.0]
    assert tables["sessions"]["coaching"] == [0, 0.0]
    assert tables["sessions"]["total"] == [7, 21.0]
    assert tables["visits"] == {"visits_held": [1], "employers": [1], "visitors": [2], "total": None}


async def test_the_shared_view_is_the_default_and_hides_small_counts(client: Client) -> None:
    coordinator = await _scene(client)
    response = await client.get("/api/v1/reports/funder", params=OCTOBER, headers=coordinator.headers)
    body = response.json()
    assert body["shared"] is True
    tables = _tables(body)
    # 30_54 (1) and 55_plus (1) are small; together 2 < 5, so 18_29 (5) is hidden as well.
    assert tables["entry:age_band"] == {
        "under_18": [0],
        "18_29": ["<5"],
        "30_54": ["<5"],
        "55_plus": ["<5"],
        "not_recorded": [0],
        "total": [7],
    }
    # male 1 and not recorded 1 are small, 2 < 5: female (5) goes too.
    assert tables["entry:gender"]["female"] == ["<5"] and tables["entry:gender"]["male"] == ["<5"]
    # two exits: the total itself is small
    assert tables["exit:situation_at_exit"]["total"] == ["<5"]
    assert tables["exit:situation_at_exit"]["employment"] == ["<5"] and tables["exit:situation_at_exit"]["other"] == [0]
    assert tables["visits"]["visitors"] == ["<5"] and tables["visits"]["visits_held"] == [1]
    assert tables["sessions"]["small_group"] == [4, 16.0]  # not counts of people: never hidden


async def test_csv_and_xlsx_carry_the_same_tables_with_german_labels(client: Client) -> None:
    coordinator = await _scene(client)
    params = {**OCTOBER, "lang": "de"}
    response = await client.get("/api/v1/reports/funder.csv", params=params, headers=coordinator.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="funder-report-2026-10-01-2026-10-31-shared.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == ["Bericht an den Fördergeber"]
    assert ["Eintritte im Zeitraum", "7"] in rows and ["18 bis 29", "<5"] in rows and ["Altersgruppe"] in rows
    workbook = load_workbook(
        io.BytesIO(
            (await client.get("/api/v1/reports/funder.xlsx", params=params, headers=coordinator.headers)).content
        )
    )
    sheet = workbook["Altersgruppe"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Altersgruppe", "Personen"] and ["18 bis 29", "<5"] in values
    english = await client.get(
        "/api/v1/reports/funder.csv", params={**OCTOBER, "lang": "en", "internal": "true"}, headers=coordinator.headers
    )
    assert ["18 to 29", "5"] in list(csv.reader(io.StringIO(english.text.lstrip("\ufeff"))))
    assert "internal.csv" in english.headers["content-disposition"]


async def test_the_report_is_for_coordinators_and_is_audited(client: Client) -> None:
    coordinator = await make_account("coordinator")
    facilitator = await make_account("facilitator")
    assert (await client.get("/api/v1/reports/funder.csv", params=OCTOBER)).status_code == 401
    assert (
        await client.get("/api/v1/reports/funder.csv", params=OCTOBER, headers=facilitator.headers)
    ).status_code == 403
    await client.get("/api/v1/reports/funder.csv", params={**OCTOBER, "internal": "true"}, headers=coordinator.headers)
    admin = await make_account("admin")
    log = (await client.get("/api/v1/audit", headers=admin.headers)).json()
    assert log[0]["action"] == "report.funder_internal" and log[0]["subject"] == "period:2026-10-01..2026-10-31"


async def test_a_bad_period_is_a_clear_400(client: Client) -> None:
    coordinator = await make_account("coordinator")
    for params, field in (
        ({"to": "2026-10-31"}, "from"),
        ({"from": "2026-10-01"}, "to"),
        ({"from": "2026-13-01", "to": "2026-10-31"}, "from"),
        ({"from": "2026-10-31", "to": "2026-10-01"}, "to"),
        ({"from": "0001-01-01", "to": "2026-10-31"}, "from"),
        ({"from": "2026-10-01", "to": "9999-12-31"}, "to"),
    ):
        response = await client.get("/api/v1/reports/funder.xlsx", params=params, headers=coordinator.headers)
        assert response.status_code == 400, params
        assert response.json()["extra"]["field"] == field
