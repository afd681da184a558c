"""The staff pages: the profile form without JavaScript, and the report with its period picker."""

from __future__ import annotations

from httpx import AsyncClient as Client

from app.funder.tables import FunderProfile, SpecialCategoryConsent
from app.privacy.tables import AuditEntry
from tests.factories import make_account
from tests.funder.helpers import a_group, a_person, csrf_of, put_profile, sign_in


async def test_the_profile_form_shows_the_fields_in_german(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1, name="Amina Haddad")
    await sign_in(client, coordinator)
    page = await client.get(f"/staff/participants/{person}/profile?lang=de")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Förderprofil" in page.text and "Amina Haddad" in page.text
    assert "Altersgruppe" in page.text and "Verbleib bei Austritt" in page.text
    assert 'name="consent_disability"' in page.text and 'name="_csrf_token"' in page.text
    assert (await AuditEntry.select(AuditEntry.action).first()) == {"action": "profile.read"}


async def test_the_form_in_arabic_is_right_to_left(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    await sign_in(client, coordinator)
    page = await client.get(f"/staff/participants/{person}/profile?lang=ar")
    assert 'dir="rtl"' in page.text and "ملف الجهة المموّلة" in page.text and "الفئة العمرية" in page.text


async def test_a_wrong_form_shows_errors_next_to_the_fields_and_keeps_what_was_typed(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    await sign_in(client, coordinator)
    url = f"/staff/participants/{person}/profile"
    token = csrf_of(await client.get(url + "?lang=de"))
    response = await client.post(
        url,
        data={
            "_csrf_token": token,
            "entry_date": "2026-10-01",
            "gender": "female",
            "disability": "yes",
            "exit_date": "1.10.",
        },
    )
    assert response.status_code == 400
    assert 'id="exit_date-error"' in response.text and "JJJJ-MM-TT" in response.text
    assert 'value="1.10."' in response.text
    response = await client.post(
        url, data={"_csrf_token": token, "entry_date": "2026-10-01", "gender": "female", "disability": "yes"}
    )
    assert response.status_code == 400
    assert 'id="disability-error"' in response.text and "ausdrückliche Einwilligung" in response.text
    assert '<option value="female" selected>' in response.text
    assert await FunderProfile.count() == 0


async def test_saving_with_the_consent_box_records_consent_and_value(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    await sign_in(client, coordinator)
    url = f"/staff/participants/{person}/profile"
    token = csrf_of(await client.get(url))
    saved = await client.post(
        url,
        data={"_csrf_token": token, "entry_date": "2026-10-01", "disability": "yes", "consent_disability": "yes"},
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    consent = await SpecialCategoryConsent.select().first()
    assert consent is not None and consent["recorded_by"] == coordinator.id
    body = (await client.get(f"/api/v1/participants/{person}/profile", headers=coordinator.headers)).json()
    assert body["values"] == {"disability": "yes"}
    page = await client.get(url + "?lang=de")
    assert "Einwilligung erteilt am" in page.text
    withdraw = await client.post(f"{url}/consents/disability/withdraw", data={"_csrf_token": csrf_of(page)})
    assert withdraw.status_code == 303
    body = (await client.get(f"/api/v1/participants/{person}/profile", headers=coordinator.headers)).json()
    assert body["values"] == {} and body["consents"][0]["active"] is False


async def test_a_post_without_the_csrf_token_is_refused(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)
    await sign_in(client, coordinator)
    response = await client.post(f"/staff/participants/{person}/profile", data={"entry_date": "2026-10-01"})
    assert response.status_code == 403 and await FunderProfile.count() == 0


async def test_a_facilitator_of_another_group_sees_a_refusal_page(client: Client) -> None:
    coordinator = await make_account("coordinator")
    coach = await make_account("facilitator")
    person = await a_person((await a_group(client, coordinator))[0], 1, name="Amina Haddad")
    await sign_in(client, coach)
    page = await client.get(f"/staff/participants/{person}/profile?lang=de")
    assert page.status_code == 403 and "Amina" not in page.text and "das Sie anleiten" in page.text


async def test_the_report_page_picks_a_period_and_offers_downloads(client: Client) -> None:
    coordinator = await make_account("coordinator")
    sessions = await a_group(client, coordinator)
    for n in range(1, 7):
        person = await a_person(sessions[0], n)
        await put_profile(client, coordinator, person, entry_date="2026-10-01", values={"gender": "female"})
    await sign_in(client, coordinator)
    empty = await client.get("/staff/reports/funder?lang=de")
    assert empty.status_code == 200 and 'name="from"' in empty.text and "<table" not in empty.text
    page = await client.get("/staff/reports/funder?from=2026-10-01&to=2026-10-31&lang=de")
    assert page.status_code == 200 and "Eintritte im Zeitraum" in page.text and "weiblich" in page.text
    assert "<td>6</td>" in page.text  # six women: no small count
    assert "/staff/reports/funder.csv?from=2026-10-01&amp;to=2026-10-31" in page.text
    download = await client.get("/staff/reports/funder.xlsx?from=2026-10-01&to=2026-10-31")
    assert download.status_code == 200 and download.content[:2] == b"PK"
    bad = await client.get("/staff/reports/funder?from=2026-10-31&to=2026-10-01&lang=de")
    assert bad.status_code == 400 and "Der letzte Tag liegt vor dem ersten Tag." in bad.text
    assert 'aria-invalid="true"' in bad.text


async def test_the_report_page_is_for_coordinators(client: Client) -> None:
    coach = await make_account("facilitator")
    await sign_in(client, coach)
    assert (await client.get("/staff/reports/funder")).status_code == 403
    assert (await client.get("/staff/reports/funder.csv?from=2026-10-01&to=2026-10-31")).status_code == 403


async def test_the_consent_text_is_shown_in_the_persons_language_too(client: Client) -> None:
    coordinator = await make_account("coordinator")
    person = await a_person((await a_group(client, coordinator))[0], 1)  # signed up in Arabic
    await sign_in(client, coordinator)
    page = await client.get(f"/staff/participants/{person}/profile?lang=de")
    assert "Ich bin einverstanden" in page.text
    assert '<blockquote lang="ar" dir="rtl">أوافق على' in page.text
