"""Every move of an invitation from every status, legal and illegal, as the transition
table says; and the invitee's answers' refusals, in the contract's shapes."""

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.invitations.expiry import expire_lapsed
from app.invitations.transitions import TRANSITIONS, Actor, Move
from app.models import InvitationStatus
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, signup_body
from tests.fixtures.invitations import Invite, accept_body, invitation_body, rsvp_token

ADMIN = "/api/admin/events/side-event/invitations"


async def _bring_to(
    status: InvitationStatus,
    made: dict[str, Any],
    client: httpx.AsyncClient,
    owner: dict[str, str],
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    token = rsvp_token(made)
    answers = {
        InvitationStatus.accepted: (f"/api/invitations/{token}/accept", accept_body()),
        InvitationStatus.declined: (f"/api/invitations/{token}/decline", None),
        InvitationStatus.delegated: (
            f"/api/invitations/{token}/delegate",
            {"email": "deputy@example.org", "given_name": "Laia", "family_name": "Bonet"},
        ),
        InvitationStatus.revoked: (f"{ADMIN}/{made['id']}/revoke", None),
    }
    if status == InvitationStatus.expired:
        clock.advance(hours=2)
        assert await expire_lapsed(sessionmaker, clock.now()) == 1
    elif status in answers:
        path, body = answers[status]
        response = await client.post(path, json=body, headers=owner)
        assert response.status_code in (200, 201), response.text


async def _attempt(
    move: Move, made: dict[str, Any], client: httpx.AsyncClient, owner: dict[str, str]
) -> httpx.Response:
    token = rsvp_token(made)
    if move == Move.accept:
        return await client.post(f"/api/invitations/{token}/accept", json=accept_body())
    if move == Move.decline:
        return await client.post(f"/api/invitations/{token}/decline")
    if move == Move.delegate:
        return await client.post(
            f"/api/invitations/{token}/delegate",
            json={"email": "other@example.org", "given_name": "Pau", "family_name": "Vila"},
        )
    body = {"respond_by": "2013-09-30T12:00:00+00:00"} if move == Move.extend else None
    return await client.post(f"{ADMIN}/{made['id']}/{move}", json=body, headers=owner)


_ATTEMPTED = [move for move in Move if move != Move.expire]


@pytest.mark.parametrize("status", list(InvitationStatus))
@pytest.mark.parametrize("move", _ATTEMPTED)
async def test_each_move_from_each_status_follows_the_table(
    status: InvitationStatus,
    move: Move,
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    auth_headers: AuthHeaders,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await make_event(capacity=20)
    owner = await auth_headers("owner")
    made = (
        await client.post(
            ADMIN,
            json=invitation_body(companions_allowed=1, respond_by="2013-09-02T15:00:00+00:00"),
            headers=owner,
        )
    ).json()
    await _bring_to(status, made, client, owner, clock, sessionmaker)
    owner = await auth_headers("owner")  # signed in after any move of the clock

    response = await _attempt(move, made, client, owner)

    rule = TRANSITIONS[move]
    if status in rule.allowed_from and not (
        rule.before_deadline and status == InvitationStatus.expired
    ):
        assert response.status_code in (200, 201), response.text
        if move not in (Move.resend,):
            stored = (await client.get(f"{ADMIN}/{made['id']}", headers=owner)).json()
            assert stored["status"] == rule.leads_to
    elif rule.actor == Actor.invitee and status == InvitationStatus.expired:
        assert response.status_code == 409
        assert response.json()["code"] == "invitation_expired"
    else:
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "invalid_transition"
        stored = (await client.get(f"{ADMIN}/{made['id']}", headers=owner)).json()
        assert stored["status"] == status


async def test_resend_gives_a_new_link_and_the_old_one_stops_working(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite, owner_headers: dict[str, str]
) -> None:
    await make_event()
    made = await invite()

    response = await client.post(f"{ADMIN}/{made['id']}/resend", headers=owner_headers)

    assert response.status_code == 200
    again = response.json()
    assert again["rsvp_url"] != made["rsvp_url"]
    old = await client.get(f"/api/invitations/{rsvp_token(made)}")
    assert old.status_code == 404
    assert old.json()["code"] == "invalid_token"
    assert (await client.get(f"/api/invitations/{rsvp_token(again)}")).status_code == 200


async def test_the_invitee_sees_the_invitation_and_its_event(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite
) -> None:
    await make_event()
    made = await invite(companions_allowed=2, message="Please join us.")

    response = await client.get(f"/api/invitations/{rsvp_token(made)}")

    assert response.status_code == 200
    seen = response.json()
    assert seen["id"] == made["id"]
    assert seen["companions_allowed"] == 2
    assert seen["message"] == "Please join us."
    assert seen["event"]["slug"] == "side-event"
    assert "rsvp_url" not in seen


@pytest.mark.parametrize("method, suffix", [("GET", ""), ("POST", "/accept"), ("POST", "/decline")])
async def test_an_unknown_token_is_invalid(
    method: str, suffix: str, client: httpx.AsyncClient, make_event: MakeEvent
) -> None:
    await make_event()
    body = accept_body() if suffix == "/accept" else {}
    response = await client.request(method, f"/api/invitations/no-such-token{suffix}", json=body)
    assert response.status_code == 404
    assert response.json()["code"] == "invalid_token"


async def test_more_companions_than_allowed_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite
) -> None:
    await make_event()
    made = await invite(companions_allowed=1)
    guest = {"given_name": "Jordi", "family_name": "Puig", "has_un_grounds_pass": True}

    response = await client.post(
        f"/api/invitations/{rsvp_token(made)}/accept", json=accept_body(companions=[guest, guest])
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    seen = (await client.get(f"/api/invitations/{rsvp_token(made)}")).json()
    assert seen["status"] == "pending"


@pytest.mark.parametrize(
    "suffix, body",
    [
        ("/accept", {"given_name": "Ada"}),
        ("/accept", accept_body(consent=False)),
        ("/accept", accept_body(companions=[{"given_name": "X"}])),
        ("/decline", {"note": 5}),
        ("/decline", {"unknown": "field"}),
        ("/delegate", {"email": "not an address", "given_name": "A", "family_name": "B"}),
        ("/delegate", {}),
    ],
)
async def test_bad_bodies_are_refused_in_the_contract_shape(
    suffix: str, body: Any, client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite
) -> None:
    await make_event()
    made = await invite(companions_allowed=1)
    response = await client.post(f"/api/invitations/{rsvp_token(made)}{suffix}", json=body)
    assert response.status_code == 422
    assert "detail" in response.json()
    assert (await client.get(f"/api/invitations/{rsvp_token(made)}")).json()["status"] == "pending"


async def test_a_body_that_is_not_json_is_a_client_error(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite
) -> None:
    await make_event()
    made = await invite()
    response = await client.post(
        f"/api/invitations/{rsvp_token(made)}/accept",
        content=b"\xff\xfe not json",
        headers={"Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


async def test_a_delegation_not_allowed_is_refused(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite
) -> None:
    await make_event()
    made = await invite(allow_delegation=False)
    response = await client.post(
        f"/api/invitations/{rsvp_token(made)}/delegate",
        json={"email": "deputy@example.org", "given_name": "Laia", "family_name": "Bonet"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


async def test_inviting_someone_invited_or_registered_already_is_a_conflict(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite, owner_headers: dict[str, str]
) -> None:
    await make_event()
    made = await invite(email="Mayor@Example.org")
    again = await client.post(
        ADMIN, json=invitation_body(email="mayor@example.org"), headers=owner_headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_invited"

    await client.post(
        "/api/events/side-event/registrations", json=signup_body(email="pub@example.org")
    )
    registered = await client.post(
        ADMIN, json=invitation_body(email="PUB@example.org"), headers=owner_headers
    )
    assert registered.status_code == 409
    assert registered.json()["code"] == "already_registered"
    listed = (await client.get(ADMIN, headers=owner_headers)).json()
    assert [one["id"] for one in listed["items"]] == [made["id"]]


async def test_an_invitation_only_event_refuses_the_public_but_not_invitees(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite
) -> None:
    await make_event(access="invitation_only")
    assert (await client.get("/api/events/side-event")).json()["access"] == "invitation_only"
    public = await client.post("/api/events/side-event/registrations", json=signup_body())
    assert public.status_code == 409
    assert public.json()["code"] == "invitation_required"

    made = await invite()
    response = await client.post(f"/api/invitations/{rsvp_token(made)}/accept", json=accept_body())
    assert response.status_code == 201
    assert response.json()["status"] == "confirmed"


async def test_approval_is_skipped_for_invitees(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite
) -> None:
    await make_event(approval_required=True)
    made = await invite()
    response = await client.post(f"/api/invitations/{rsvp_token(made)}/accept", json=accept_body())
    assert response.status_code == 201
    assert response.json()["status"] == "confirmed"


async def test_viewers_read_invitations_but_only_owners_change_them(
    client: httpx.AsyncClient, make_event: MakeEvent, invite: Invite, auth_headers: AuthHeaders
) -> None:
    await make_event()
    made = await invite()
    for role in ("viewer", "staff"):
        headers = await auth_headers(role)
        assert (await client.get(ADMIN, headers=headers)).status_code == 200
        assert (await client.get(f"{ADMIN}/{made['id']}", headers=headers)).status_code == 200
        created = await client.post(ADMIN, json=invitation_body(), headers=headers)
        assert created.status_code == 403
        revoked = await client.post(f"{ADMIN}/{made['id']}/revoke", headers=headers)
        assert revoked.status_code == 403
    assert (await client.get(ADMIN)).status_code == 401
