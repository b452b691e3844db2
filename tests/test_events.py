"""The public event, the home redirect and the event page."""

from datetime import timedelta

import httpx

from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeEvent


async def test_event_has_the_contract_fields(event: object, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/events/side-event")
    assert response.status_code == 200
    body = response.json()
    assert {
        "slug", "title", "summary", "starts_at", "ends_at", "timezone", "venue", "capacity",
        "seats_left", "waitlist_enabled", "approval_required", "registration_open",
        "languages", "organisers",
    } <= set(body)  # fmt: skip
    assert body["starts_at"] == "2013-10-04T13:15:00-04:00"
    assert body["organisers"] == ["JMDI", "UNITAR", "KNOMAD"]


async def test_seats_left_counts_confirmed_registrations(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient
) -> None:
    await make_event(capacity=2)
    await signup()
    assert (await client.get("/api/events/side-event")).json()["seats_left"] == 1
    await signup()
    await signup()
    assert (await client.get("/api/events/side-event")).json()["seats_left"] == 0


async def test_registration_open_follows_the_window(
    make_event: MakeEvent, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await make_event(
        registration_opens_at=clock.now() + timedelta(hours=1),
        registration_closes_at=clock.now() + timedelta(hours=2),
    )
    states = []
    for _ in range(3):
        states.append((await client.get("/api/events/side-event")).json()["registration_open"])
        clock.advance(hours=1, minutes=30)
    assert states == [False, True, False]


async def test_unknown_event_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/events/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "No event with the address 'nope'.", "code": "not_found"}


async def test_home_redirects_to_the_default_event(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/events/local-government-migration-development-2013"


async def test_event_page_shows_local_time_and_venue(
    event: object, client: httpx.AsyncClient
) -> None:
    response = await client.get("/events/side-event")
    assert response.status_code == 200
    assert "Friday, 4 October 2013" in response.text
    assert "13:15\N{EN DASH}14:45 (Eastern Daylight Time)" in response.text
    assert "Conference Room 6" in response.text
