"""A calendar app that polls an unchanged activity feed gets 304 without a body."""

from __future__ import annotations

from httpx import AsyncClient as Client

from tests.factories import make_account
from tests.scheduling.factories import create_activity, sessions_of


async def test_unchanged_feed_answers_304_and_a_changed_one_the_new_bytes(client: Client) -> None:
    coordinator = await make_account("coordinator")
    activity = await create_activity(client, coordinator.headers, start="2027-10-07T10:00", exdates=[])
    url = f"/ics/activities/{activity['id']}.ics"

    first = await client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    assert first.headers["cache-control"] == "public, max-age=300"
    assert "set-cookie" not in first.headers  # read-only, no form: no CSRF cookie on a cacheable answer
    assert (await client.get(url)).headers["etag"] == etag  # same bytes, same tag

    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        unchanged = await client.get(url, headers={"If-None-Match": header})
        assert unchanged.status_code == 304, header
        assert unchanged.content == b""
        assert unchanged.headers["etag"] == etag
    assert (await client.get(url, headers={"If-None-Match": '"other"'})).status_code == 200

    # a change to the series makes a new tag, and the old one no longer matches
    session_id = (await sessions_of(client, activity["id"]))[0]["id"]
    moved = await client.patch(
        f"/api/v1/sessions/{session_id}", json={"status": "cancelled"}, headers=coordinator.headers
    )
    assert moved.status_code == 200, moved.text
    changed = await client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.content != first.content


async def test_unknown_activity_is_still_404_with_a_tag_in_if_none_match(client: Client) -> None:
    response = await client.get("/ics/activities/999999.ics", headers={"If-None-Match": "*"})
    assert response.status_code == 404
