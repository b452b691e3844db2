"""Companions: an invitee's named guests, each a registration of their own (own seat,
own ticket), on the CSV and the security list, cancelled with the invitee or alone."""

import csv
import io
from typing import Any

import httpx
import openpyxl
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.fixtures.factories import MakeEvent, MakeRegistration
from tests.fixtures.invitations import Invite, accept_body, rsvp_token, seats_left

GUESTS = [
    {"given_name": "Jordi", "family_name": "Puig", "has_un_grounds_pass": False},
    {"given_name": "Marta", "family_name": "Serra", "has_un_grounds_pass": True},
]


async def _accept_with_guests(client: httpx.AsyncClient, invite: Invite) -> dict[str, Any]:
    made = await invite(companions_allowed=2, family_name="Colau")
    response = await client.post(
        f"/api/invitations/{rsvp_token(made)}/accept",
        json=accept_body(family_name="Colau", has_un_grounds_pass=False, companions=GUESTS),
    )
    assert response.status_code == 201, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


def _token(registration: dict[str, Any]) -> str:
    return str(registration["manage_url"]).rsplit("/", 1)[1]


async def test_the_csv_and_the_security_list_include_companions(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    invite: Invite,
    owner_headers: dict[str, str],
) -> None:
    await make_event(capacity=10)
    invitee = await _accept_with_guests(client, invite)

    exported = await client.get(
        "/api/admin/events/side-event/registrations.csv?dialect=rfc4180", headers=owner_headers
    )
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    by_name = {row["family_name"]: row for row in rows}
    assert set(by_name) == {"Colau", "Puig", "Serra"}
    assert by_name["Colau"]["companion_of"] == ""
    assert by_name["Colau"]["invitation_id"] == invitee["invitation_id"]
    assert by_name["Puig"]["companion_of"] == invitee["id"]
    assert by_name["Serra"]["companion_of"] == invitee["id"]
    assert by_name["Puig"]["status"] == "confirmed"

    sheet = await client.get(
        "/api/admin/events/side-event/security-list.xlsx", headers=owner_headers
    )
    assert sheet.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(sheet.content))
    listed = [
        row[1]
        for name in workbook.sheetnames
        for row in workbook[name].iter_rows(values_only=True)
        if isinstance(row[0], int)
    ]
    # Each guest without a grounds pass needs a ticket of their own.
    assert sorted(listed) == ["Colau", "Puig"]


async def test_cancelling_the_invitee_cancels_their_companions_and_moves_the_waitlist(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    invite: Invite,
    make_registration: MakeRegistration,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await make_event(capacity=3)
    invitee = await _accept_with_guests(client, invite)
    waiting = [
        (await make_registration("waitlisted", email=f"w{n}@example.org"))[1] for n in range(4)
    ]

    response = await client.post(f"/api/registrations/{_token(invitee)}/cancel")

    assert response.status_code == 200
    assert [one["status"] for one in response.json()["companions"]] == ["cancelled"] * 2
    seen = [(await client.get(f"/api/registrations/{t}")).json()["status"] for t in waiting]
    assert seen == ["confirmed", "confirmed", "confirmed", "waitlisted"]


async def test_a_companion_can_be_removed_alone(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite
) -> None:
    await make_event(capacity=10)
    invitee = await _accept_with_guests(client, invite)
    puig = invitee["companions"][0]
    assert await seats_left(client) == 7

    path = f"/api/registrations/{_token(invitee)}/companions/{puig['id']}/cancel"
    response = await client.post(path)

    assert response.status_code == 200, response.text
    after = response.json()
    assert after["status"] == "confirmed"
    assert [(one["family_name"], one["status"]) for one in after["companions"]] == [
        ("Puig", "cancelled"),
        ("Serra", "confirmed"),
    ]
    assert await seats_left(client) == 8
    again = await client.post(path)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    stranger = await client.post(
        f"/api/registrations/{_token(invitee)}/companions/{invitee['id']}/cancel"
    )
    assert stranger.status_code == 404


async def test_companions_count_against_the_organisation_limit(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite
) -> None:
    await make_event(capacity=10, max_per_organisation=2)
    made = await invite(companions_allowed=2)
    response = await client.post(
        f"/api/invitations/{rsvp_token(made)}/accept", json=accept_body(companions=GUESTS)
    )
    assert response.status_code == 409
    assert response.json()["code"] == "org_limit_reached"
    one_guest = await client.post(
        f"/api/invitations/{rsvp_token(made)}/accept", json=accept_body(companions=GUESTS[:1])
    )
    assert one_guest.status_code == 201


async def test_without_held_seats_an_invitee_beyond_capacity_is_waitlisted(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    invite: Invite,
    make_registration: MakeRegistration,
) -> None:
    await make_event(capacity=1)
    await make_registration("confirmed")
    made = await invite(hold_seats=False, companions_allowed=1)
    response = await client.post(
        f"/api/invitations/{rsvp_token(made)}/accept", json=accept_body(companions=GUESTS[:1])
    )
    assert response.status_code == 201
    invitee = response.json()
    assert (invitee["status"], invitee["waitlist_position"]) == ("waitlisted", 1)
    assert invitee["companions"][0]["status"] == "waitlisted"


async def test_an_invitee_bringing_guests_cannot_pass_the_place_on_until_they_are_removed(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite
) -> None:
    """Guests are the invitee's to bring: left on a cancelled registration they would
    hold seats for nobody's guests, so substitution waits until they are removed."""
    await make_event(capacity=10)
    invitee = await _accept_with_guests(client, invite)
    substitute = f"/api/registrations/{_token(invitee)}/substitute"
    body = accept_body(email="deputy@barcelona.example", given_name="Laia", family_name="Bonet")

    refused = await client.post(substitute, json=body)

    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_transition"
    assert (await client.get(f"/api/registrations/{_token(invitee)}")).json()["status"] == (
        "confirmed"
    )
    assert await seats_left(client) == 7
    for guest in invitee["companions"]:
        path = f"/api/registrations/{_token(invitee)}/companions/{guest['id']}/cancel"
        assert (await client.post(path)).status_code == 200
    passed = await client.post(substitute, json=body)
    assert passed.status_code == 201, passed.text
    assert passed.json()["substitute_for"] == invitee["id"]
    assert await seats_left(client) == 9
