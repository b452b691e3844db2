"""Sign-up rules: seats, waitlist, approval, window, duplicates, organisation limit."""

from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Registration
from tests.fixtures.app import Signup, own_path
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeEvent, signup_body


async def test_signup_with_seats_left_is_confirmed(event: object, signup: Signup) -> None:
    response = await signup()
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["waitlist_position"] is None
    assert body["manage_url"].startswith("http://rsvp.test/r/")
    assert body["ticket_code"]
    assert body["event_slug"] == "side-event"


async def test_signup_when_full_joins_the_waitlist_in_order(
    make_event: MakeEvent, signup: Signup
) -> None:
    await make_event(capacity=1)
    assert (await signup()).json()["status"] == "confirmed"
    second, third = (await signup()).json(), (await signup()).json()
    assert (second["status"], second["waitlist_position"]) == ("waitlisted", 1)
    assert (third["status"], third["waitlist_position"]) == ("waitlisted", 2)
    assert second["ticket_code"] is None


async def test_signup_when_full_without_waitlist_is_event_full(
    make_event: MakeEvent, signup: Signup, session: AsyncSession
) -> None:
    await make_event(capacity=1, waitlist_enabled=False)
    await signup()
    response = await signup()
    assert response.status_code == 409
    assert response.json()["code"] == "event_full"
    assert await session.scalar(select(func.count()).select_from(Registration)) == 1


async def test_signup_needing_approval_is_pending(make_event: MakeEvent, signup: Signup) -> None:
    await make_event(approval_required=True)
    body = (await signup()).json()
    assert body["status"] == "pending_approval"
    assert body["ticket_code"] is None


async def test_signup_before_registration_opens_is_closed(
    make_event: MakeEvent, signup: Signup, clock: FakeClock
) -> None:
    await make_event(registration_opens_at=clock.now() + timedelta(days=1))
    response = await signup()
    assert response.status_code == 409
    assert response.json()["code"] == "registration_closed"


async def test_signup_after_registration_closes_is_closed(
    make_event: MakeEvent, signup: Signup, clock: FakeClock
) -> None:
    await make_event(registration_closes_at=clock.now() - timedelta(seconds=1))
    assert (await signup()).json()["code"] == "registration_closed"


async def test_signup_on_the_closing_instant_is_still_open(
    make_event: MakeEvent, signup: Signup, clock: FakeClock
) -> None:
    await make_event(registration_closes_at=clock.now())
    assert (await signup()).status_code == 201


async def test_signup_after_the_event_started_is_open_without_a_closing_time(
    make_event: MakeEvent, signup: Signup, clock: FakeClock
) -> None:
    await make_event()
    clock.advance(days=365)
    assert (await signup()).status_code == 201


async def test_same_email_in_any_case_is_already_registered(event: object, signup: Signup) -> None:
    await signup(email="Mayor@Example.org")
    response = await signup(email="mayor@EXAMPLE.org")
    assert response.status_code == 409
    assert response.json() == {
        "detail": response.json()["detail"],
        "code": "already_registered",
    }


async def test_same_email_may_register_again_after_cancelling(
    event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    first = (await signup(email="delegate@example.org")).json()
    await client.post(own_path(first, "/cancel"))
    assert (await signup(email="delegate@example.org")).status_code == 201


async def test_organisation_limit_ignores_case_and_spacing(
    make_event: MakeEvent, signup: Signup
) -> None:
    await make_event(max_per_organisation=2)
    assert (await signup(organisation="City of Athens")).status_code == 201
    assert (await signup(organisation="  city  of ATHENS ")).status_code == 201
    response = await signup(organisation="CITY OF athens")
    assert response.status_code == 409
    assert response.json()["code"] == "org_limit_reached"
    assert (await signup(organisation="City of Barcelona")).status_code == 201


async def test_unknown_event_is_not_found(signup: Signup) -> None:
    response = await signup(slug="no-such-event")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_names_are_trimmed_and_nfc_normalised(event: object, signup: Signup) -> None:
    body = (
        await signup(
            given_name="  Jose\u0301  ", family_name="Pe\u0301rez   Ortiz", organisation=" A "
        )
    ).json()
    assert body["given_name"] == "Jos\u00e9"
    assert body["family_name"] == "P\u00e9rez Ortiz"
    assert body["organisation"] == "A"


async def test_country_code_is_stored_upper_case(event: object, signup: Signup) -> None:
    assert (await signup(country="gr")).json()["country"] == "GR"


async def test_language_defaults_to_english(event: object, client: httpx.AsyncClient) -> None:
    body = signup_body()
    del body["language"]
    response = await client.post("/api/events/side-event/registrations", json=body)
    assert response.json()["language"] == "en"
