"""Held seats: an invitation holds 1 + companions_allowed seats while pending and before
its deadline; accepting uses them, and a decline, revocation, expiry or an accept with
fewer companions frees the rest at once, to the waitlist."""

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.invitations.expiry import expire_lapsed
from app.models import Registration, RegistrationStatus
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, MakeRegistration
from tests.fixtures.invitations import Invite, accept_body, rsvp_token, seats_left

EVENT = "/api/events/side-event"


async def _statuses(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with sessionmaker() as session:
        rows = await session.execute(select(Registration.email, Registration.status))
        return {email: status for email, status in rows}


async def _waitlisted(make_registration: MakeRegistration, count: int) -> list[Registration]:
    return [
        (await make_registration("waitlisted", email=f"waiting{n}@example.org"))[0]
        for n in range(count)
    ]


async def test_a_pending_invitation_holds_one_seat_plus_its_companions(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite
) -> None:
    await make_event(capacity=10)
    made = await invite(companions_allowed=2)
    assert made["status"] == "pending"
    assert made["seats_held"] == 3
    assert await seats_left(client) == 7
    await invite(hold_seats=False, companions_allowed=4)
    assert await seats_left(client) == 7


async def test_accepting_takes_the_held_seats_and_frees_those_not_used(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    invite: Invite,
    make_registration: MakeRegistration,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await make_event(capacity=10)
    for n in range(7):
        await make_registration("confirmed", email=f"seated{n}@example.org")
    made = await invite(companions_allowed=2)
    assert await seats_left(client) == 0
    waiting = await _waitlisted(make_registration, 2)

    response = await client.post(
        f"/api/invitations/{rsvp_token(made)}/accept",
        json=accept_body(
            companions=[
                {"given_name": "Jordi", "family_name": "Puig", "has_un_grounds_pass": False}
            ]
        ),
    )

    assert response.status_code == 201, response.text
    invitee = response.json()
    assert invitee["status"] == "confirmed"
    assert invitee["email"] == made["email"]
    assert invitee["invitation_id"] == made["id"]
    assert invitee["manage_url"].startswith("http://rsvp.test/r/")
    [companion] = invitee["companions"]
    assert companion["status"] == "confirmed"
    assert companion["ticket_code"] and companion["ticket_code"] != invitee["ticket_code"]
    # Three were held, two used: the third goes to the head of the waitlist at once.
    statuses = await _statuses(sessionmaker)
    assert statuses[waiting[0].email] == RegistrationStatus.confirmed
    assert statuses[waiting[1].email] == RegistrationStatus.waitlisted
    assert await seats_left(client) == 0
    detail = (
        await client.get(f"/api/registrations/{invitee['manage_url'].rsplit('/', 1)[1]}")
    ).json()
    assert detail["companions"][0]["id"] == companion["id"]


async def test_declining_frees_the_held_seats_to_the_waitlist(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    invite: Invite,
    make_registration: MakeRegistration,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await make_event(capacity=2)
    made = await invite(companions_allowed=1)
    waiting = await _waitlisted(make_registration, 3)

    response = await client.post(
        f"/api/invitations/{rsvp_token(made)}/decline", json={"note": "Travelling that week."}
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "declined"
    assert response.json()["decline_note"] == "Travelling that week."
    statuses = await _statuses(sessionmaker)
    assert [statuses[one.email] for one in waiting] == ["confirmed", "confirmed", "waitlisted"]


async def test_revoking_frees_the_held_seats(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    invite: Invite,
    owner_headers: dict[str, str],
) -> None:
    await make_event(capacity=5)
    made = await invite(companions_allowed=3)
    assert await seats_left(client) == 1

    response = await client.post(
        f"/api/admin/events/side-event/invitations/{made['id']}/revoke", headers=owner_headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "revoked"
    assert response.json()["seats_held"] == 0
    assert await seats_left(client) == 5
    answer = await client.post(f"/api/invitations/{rsvp_token(made)}/accept", json=accept_body())
    assert answer.status_code == 409
    assert answer.json()["code"] == "invalid_transition"


async def test_delegating_moves_the_held_seats_to_the_delegate_without_a_gap(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite, owner_headers: dict[str, str]
) -> None:
    await make_event(capacity=5)
    made = await invite(companions_allowed=1, message="We would be honoured.")
    assert await seats_left(client) == 3

    response = await client.post(
        f"/api/invitations/{rsvp_token(made)}/delegate",
        json={
            "email": "deputy@example.org",
            "given_name": "Laia",
            "family_name": "Bonet",
            "language": "fr",
        },
    )

    assert response.status_code == 200, response.text
    original = response.json()
    assert original["status"] == "delegated"
    assert await seats_left(client) == 3
    listed = (
        await client.get(
            "/api/admin/events/side-event/invitations?status=pending", headers=owner_headers
        )
    ).json()
    [successor] = listed["items"]
    assert successor["id"] == original["delegated_to"]
    assert successor["delegated_from"] == made["id"]
    assert successor["email"] == "deputy@example.org"
    assert successor["language"] == "fr"
    assert successor["seats_held"] == 2
    assert successor["respond_by"] == made["respond_by"]
    assert successor["companions_allowed"] == 1
    assert successor["message"] == "We would be honoured."


async def test_past_the_deadline_a_hold_no_longer_counts_and_the_worker_expires_it(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    invite: Invite,
    make_registration: MakeRegistration,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    auth_headers: AuthHeaders,
) -> None:
    await make_event(capacity=3)
    made = await invite(companions_allowed=2, respond_by="2013-09-10T12:00:00+00:00")
    waiting = await _waitlisted(make_registration, 1)
    assert await seats_left(client) == 0

    clock.advance(days=8, hours=1)  # 11 September: past the deadline

    assert await seats_left(client) == 3  # not yet released, but no longer counted
    answer = await client.post(f"/api/invitations/{rsvp_token(made)}/accept", json=accept_body())
    assert answer.status_code == 409
    assert answer.json()["code"] == "invitation_expired"
    assert (await client.get(f"/api/invitations/{rsvp_token(made)}")).json()["status"] == "expired"

    assert await expire_lapsed(sessionmaker, clock.now()) == 1

    statuses = await _statuses(sessionmaker)
    assert statuses[waiting[0].email] == RegistrationStatus.confirmed
    assert await seats_left(client) == 2
    viewer = await auth_headers("viewer")  # signed in now: the clock moved days on
    stored = (
        await client.get(f"/api/admin/events/side-event/invitations/{made['id']}", headers=viewer)
    ).json()
    assert stored["status"] == "expired"
    assert stored["seats_held"] == 0
    assert await expire_lapsed(sessionmaker, clock.now()) == 0


async def test_a_sign_up_after_the_deadline_releases_lapsed_holds_first(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite, clock: FakeClock, signup: Any
) -> None:
    await make_event(capacity=1, waitlist_enabled=False)
    await invite(respond_by="2013-09-03T12:00:00+00:00")
    refused = await signup()
    assert refused.status_code == 409
    assert refused.json()["code"] == "event_full"

    clock.advance(days=2)
    response = await signup()

    assert response.status_code == 201
    assert response.json()["status"] == "confirmed"


async def test_extending_an_expired_invitation_holds_its_seats_again(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    invite: Invite,
    clock: FakeClock,
    auth_headers: AuthHeaders,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await make_event(capacity=4)
    made = await invite(companions_allowed=1, respond_by="2013-09-03T12:00:00+00:00")
    clock.advance(days=2)
    await expire_lapsed(sessionmaker, clock.now())
    assert await seats_left(client) == 4

    response = await client.post(
        f"/api/admin/events/side-event/invitations/{made['id']}/extend",
        json={"respond_by": "2013-09-20T12:00:00-04:00"},
        headers=await auth_headers("owner"),
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    assert response.json()["seats_held"] == 2
    assert await seats_left(client) == 2
    answer = await client.post(f"/api/invitations/{rsvp_token(made)}/accept", json=accept_body())
    assert answer.status_code == 201


async def test_holds_never_overbook_the_event(
    client: httpx.AsyncClient, make_event: MakeEvent, owner_headers: dict[str, str]
) -> None:
    await make_event(capacity=2)
    response = await client.post(
        "/api/admin/events/side-event/invitations",
        json={
            "email": "three@example.org",
            "given_name": "A",
            "family_name": "B",
            "companions_allowed": 2,
        },
        headers=owner_headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "event_full"
    assert await seats_left(client) == 2
