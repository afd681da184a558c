"""The public pages, rendered on the server (no JavaScript needed)."""

from httpx import AsyncClient as Client

from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of


async def test_upcoming_page_lists_sessions_in_the_chosen_language(client: Client) -> None:
    coordinator = await make_account("coordinator")
    await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    page = await client.get("/?lang=ar")
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "الحياة العملية في ألمانيا" in page.text
    german = await client.get("/?lang=de")
    assert "Arbeitsleben in Deutschland" in german.text
    assert "10:00" in german.text


async def test_upcoming_page_shows_each_change_at_once(client: Client) -> None:
    """The page's HTML is reused while nothing on it changed: a taken seat or a new title shows at once."""
    coordinator = await make_account("coordinator")
    activity = await create_activity(
        client, coordinator.headers, start="2027-10-07T10:00", exdates=[], capacity=3, rrule="FREQ=WEEKLY;COUNT=1"
    )
    assert "3 places left" in (await client.get("/?lang=en")).text
    assert "3 places left" in (await client.get("/?lang=en")).text  # the same page again
    session = (await sessions_of(client, activity["id"]))[0]
    person = {"name": "Olena", "email": "olena@example.org", "language": "uk", "consent": True}
    assert (await client.post(f"/api/v1/sessions/{session['id']}/registrations", json=person)).status_code == 201
    page = (await client.get("/?lang=en")).text
    assert "2 places left" in page and "3 places left" not in page
    renamed = await client.patch(
        f"/api/v1/activities/{activity['id']}", json={"title": {"de": "Neuer Titel"}}, headers=coordinator.headers
    )
    assert renamed.status_code == 200
    assert "Neuer Titel" in (await client.get("/?lang=de")).text
    # Signed-in staff get the page with their sign-out form, never a stranger's copy.
    staff = await client.get("/?lang=en", headers=coordinator.headers)
    assert "/staff/logout" in staff.text
    assert "/staff/logout" not in (await client.get("/?lang=en")).text


async def test_upcoming_page_filters_without_javascript(client: Client) -> None:
    coordinator = await make_account("coordinator")
    await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    await create_activity(
        client,
        coordinator.headers,
        kind="cafe",
        title={"de": "Begegnungscafé"},
        languages=["uk"],
        start="2027-10-05T16:00",
        exdates=[],
        capacity=None,
        rrule="FREQ=WEEKLY;COUNT=2",
    )
    cafes = await client.get("/", params={"kind": "cafe", "lang": "de"})
    assert "Begegnungscafé" in cafes.text and "Arbeitsleben" not in cafes.text
    ukrainian = await client.get("/", params={"language": "uk", "lang": "de"})
    assert "Begegnungscafé" in ukrainian.text and "Arbeitsleben" not in ukrainian.text
    nonsense = await client.get("/", params={"kind": "<script>", "language": "zz-top"})
    assert nonsense.status_code == 200 and "<script>" not in nonsense.text


async def test_session_page_shows_when_and_where(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    session = (await sessions_of(client, activity["id"]))[0]
    page = await client.get(f"/s/{session['id']}?lang=de")
    assert page.status_code == 200
    assert "Nachbarschaftshaus" in page.text and "openstreetmap" in page.text
    assert "10:00" in page.text and "14:00" in page.text
    assert (await client.get("/s/999999")).status_code == 404


async def test_pages_speak_german_by_default_and_arabic_on_request(client: Client) -> None:
    german = await client.get("/")
    assert '<html lang="de" dir="ltr">' in german.text and "Nächste Treffen" in german.text
    arabic = await client.get("/?lang=ar")
    assert "اللقاءات القادمة" in arabic.text
    client.cookies.clear()  # the ?lang=ar choice was remembered in a cookie
    browser = await client.get("/", headers={"accept-language": "uk-UA,uk;q=0.9,en;q=0.5"})
    assert '<html lang="uk" dir="ltr">' in browser.text
