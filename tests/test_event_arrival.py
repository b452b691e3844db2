"""The event's contact, entrance and arrival instructions: set by file or admin API, read by all."""

import httpx

from app.events.seed import BUNDLED_EVENTS_FILE, load_event_file
from tests.fixtures.factories import AuthHeaders
from tests.test_admin_events import EVENTS, NEW_EVENT

DOOR = {
    "contact_email": "roundtable@athens.example",
    "entrance": "Visitors' entrance, 46th Street and First Avenue",
    "arrival_instructions": "Arrive 45 minutes early.\nBring a photo ID.",
}


async def test_organisers_set_change_and_clear_them_and_the_public_reads_them(
    auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    headers = await auth_headers()
    created = await client.post(EVENTS, json=NEW_EVENT | DOOR, headers=headers)
    assert created.status_code == 201
    public = (await client.get(f"/api/events/{NEW_EVENT['slug']}")).json()
    assert {name: public[name] for name in DOOR} == DOOR

    edited = await client.patch(
        f"{EVENTS}/{NEW_EVENT['slug']}",
        json={"entrance": "  Gate 2,   First Avenue ", "arrival_instructions": None},
        headers=headers,
    )
    assert edited.status_code == 200
    assert edited.json()["entrance"] == "Gate 2, First Avenue"  # cleaned like every line
    assert edited.json()["arrival_instructions"] is None
    assert edited.json()["contact_email"] == DOOR["contact_email"]


async def test_without_them_an_event_is_still_valid(
    auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    created = await client.post(EVENTS, json=NEW_EVENT, headers=await auth_headers())
    assert created.status_code == 201
    assert [created.json()[name] for name in DOOR] == [None, None, None]


async def test_a_bad_contact_address_or_an_over_long_entrance_is_refused_and_changes_nothing(
    auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    headers = await auth_headers()
    assert (await client.post(EVENTS, json=NEW_EVENT | DOOR, headers=headers)).status_code == 201
    path = f"{EVENTS}/{NEW_EVENT['slug']}"
    for change in ({"contact_email": "not an address"}, {"entrance": "x" * 301}):
        response = await client.patch(path, json=change, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    public = (await client.get(f"/api/events/{NEW_EVENT['slug']}")).json()
    assert {name: public[name] for name in DOOR} == DOOR


def test_the_bundled_event_tells_the_public_facts_of_un_headquarters() -> None:
    (event,) = load_event_file(BUNDLED_EVENTS_FILE)
    assert event.entrance is not None and "46th Street and First Avenue" in event.entrance
    assert event.arrival_instructions is not None
    assert "photo ID" in event.arrival_instructions
    assert "security screening" in event.arrival_instructions
    assert event.contact_email
