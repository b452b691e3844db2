"""Organisers list, create and edit events."""

import httpx

from tests.fixtures.factories import AuthHeaders, MakeEvent, MakeRegistration

EVENTS = "/api/admin/events"
NEW_EVENT = {
    "slug": "athens-roundtable",
    "title": "Athens round-table",
    "starts_at": "2013-10-03T09:00:00-04:00",
    "ends_at": "2013-10-03T10:00:00-04:00",
    "timezone": "America/New_York",
    "venue": "Conference Room 6",
    "capacity": 30,
}


async def test_created_event_is_listed(
    auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    headers = await auth_headers()
    created = await client.post(EVENTS, json=NEW_EVENT, headers=headers)
    assert created.status_code == 201
    assert (created.json()["seats_left"], created.json()["organisers"]) == (30, [])
    listed = await client.get(EVENTS, headers=headers)
    assert [event["slug"] for event in listed.json()] == ["athens-roundtable"]


async def test_creating_a_taken_slug_is_a_conflict(
    event: object, auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    body = NEW_EVENT | {"slug": "side-event"}
    response = await client.post(EVENTS, json=body, headers=await auth_headers())
    assert (response.status_code, response.json()["code"]) == (409, "conflict")


async def test_raising_capacity_promotes_the_waitlist(
    make_event: MakeEvent,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    await make_event(capacity=1)
    await make_registration("confirmed")
    first, _ = await make_registration("waitlisted")
    second, _ = await make_registration("waitlisted")
    third, _ = await make_registration("waitlisted")
    headers = await auth_headers()
    response = await client.patch(f"{EVENTS}/side-event", json={"capacity": 3}, headers=headers)
    assert (response.status_code, response.json()["seats_left"]) == (200, 0)
    registrations = f"{EVENTS}/side-event/registrations"
    statuses = {
        r["id"]: (r["status"], r["waitlist_position"])
        for r in (await client.get(registrations, headers=headers)).json()["items"]
    }
    assert statuses[str(first.id)] == ("confirmed", None)
    assert statuses[str(second.id)] == ("confirmed", None)
    assert statuses[str(third.id)] == ("waitlisted", 1)


async def test_an_edit_is_checked_as_a_whole_event(
    event: object, auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    response = await client.patch(
        f"{EVENTS}/side-event",
        json={"ends_at": "2013-10-04T08:00:00-04:00"},
        headers=await auth_headers(),
    )
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    assert "ends_at must be after starts_at" in response.json()["detail"]


async def test_an_edit_cannot_change_the_slug_or_add_fields(
    event: object, auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    response = await client.patch(
        f"{EVENTS}/side-event", json={"slug": "renamed"}, headers=await auth_headers()
    )
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")


async def test_a_new_venue_is_shown_in_the_event_zone(
    event: object, auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    response = await client.patch(
        f"{EVENTS}/side-event",
        json={"venue": "Conference Room 4", "starts_at": "2013-10-04T17:00:00Z"},
        headers=await auth_headers(),
    )
    assert response.json()["venue"] == "Conference Room 4"
    assert response.json()["starts_at"] == "2013-10-04T13:00:00-04:00"


async def test_malformed_json_is_a_validation_error(
    auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    headers = await auth_headers() | {"Content-Type": "application/json"}
    response = await client.post(EVENTS, content=b'{"slug": ', headers=headers)
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")


async def test_editing_an_unknown_event_is_not_found(
    auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    response = await client.patch(
        f"{EVENTS}/no-such-event", json={"capacity": 3}, headers=await auth_headers()
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


async def test_a_called_off_event_can_no_longer_be_edited(
    event: object, auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    owner = await auth_headers()
    assert (await client.post(f"{EVENTS}/side-event/cancel", headers=owner)).status_code == 200
    response = await client.patch(f"{EVENTS}/side-event", json={"venue": "Room 7"}, headers=owner)
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    assert "called off" in response.json()["detail"]
    assert (await client.get("/api/events/side-event")).json()["venue"] != "Room 7"
