"""Manage links and QR tickets: no e-mail, and no stranger, can void what a registrant holds.

Each message with a manage link adds a link instead of replacing the last, and
the ticket code belongs to the registration, not to any link.
"""

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.mail.manage_links import MANAGE_TOKENS_KEPT
from app.models import MailKind, ManageToken
from tests.fixtures.app import Signup, ticket_shown, token_of
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent
from tests.fixtures.mail import manage_url_in, queued_messages

EVENT = "/api/admin/events/side-event"


async def emailed_tokens(
    session: AsyncSession, email: str, kind: MailKind | None = None
) -> set[str]:
    """The manage tokens in the messages queued for `email` (of `kind`, if given)."""
    messages = await queued_messages(session, email, kind)
    return {token_of({"manage_url": manage_url_in(message)}) for message in messages}


async def status_by_link(client: httpx.AsyncClient, tokens: set[str]) -> dict[str, object]:
    """What each link answers: the registration's status, or the error code."""
    answers = {}
    for token in tokens:
        body = (await client.get(f"/api/registrations/{token}")).json()
        answers[token] = body.get("status", body.get("code"))
    return answers


async def test_a_strangers_duplicate_signup_leaves_the_registrants_link_and_ticket_working(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: AuthHeaders,
) -> None:
    token = token_of((await signup(email="delegate@example.org")).json())
    ticket = await ticket_shown(client, token)

    stranger = await signup(email="Delegate@Example.org", given_name="Mallory")
    assert stranger.json()["code"] == "already_registered"

    (resent,) = await emailed_tokens(session, "delegate@example.org", MailKind.manage_link)
    assert resent != token
    assert await status_by_link(client, {token, resent}) == {
        token: "confirmed",
        resent: "confirmed",
    }
    assert await ticket_shown(client, resent) == ticket
    scan = await client.post(
        f"{EVENT}/check-in", json={"ticket_code": ticket}, headers=await auth_headers("staff")
    )
    assert scan.status_code == 200
    assert scan.json()["checked_in_at"] is not None


async def test_every_link_emailed_to_a_registrant_keeps_working_with_one_ticket(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: AuthHeaders,
) -> None:
    await make_event(approval_required=True)
    owner = await auth_headers("owner")
    created = (await signup(email="delegate@example.org")).json()
    await client.post(f"{EVENT}/registrations/{created['id']}/approve", headers=owner)
    ticket = await ticket_shown(client, token_of(created))

    await client.post(f"{EVENT}/registrations/{created['id']}/resend-confirmation", headers=owner)
    await signup(email="delegate@example.org")
    await client.patch(EVENT, json={"venue": "Conference Room 4"}, headers=owner)

    tokens = await emailed_tokens(session, "delegate@example.org")
    # Received (pending), confirmed, resent, the link asked for again, event updated.
    assert len(tokens) == 5
    tokens.add(token_of(created))
    assert set((await status_by_link(client, tokens)).values()) == {"confirmed"}
    assert {await ticket_shown(client, token) for token in tokens} == {ticket}
    scan = await client.post(
        f"{EVENT}/check-in", json={"ticket_code": ticket}, headers=await auth_headers("staff")
    )
    assert scan.status_code == 200


async def test_a_registrant_promoted_by_an_event_edit_can_use_the_link_in_each_email(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: AuthHeaders,
) -> None:
    await make_event(capacity=1)
    await signup()
    await signup(email="waiting@example.org")
    # More seats and a new room at once: promoted first, then told of the new room.
    edit = {"capacity": 2, "venue": "Conference Room 4"}
    response = await client.patch(EVENT, json=edit, headers=await auth_headers("owner"))
    assert response.status_code == 200

    kinds = (MailKind.waitlisted, MailKind.promoted, MailKind.event_changed)
    tokens = [await emailed_tokens(session, "waiting@example.org", kind) for kind in kinds]
    assert [len(found) for found in tokens] == [1, 1, 1]
    every = {token for found in tokens for token in found}
    assert set((await status_by_link(client, every)).values()) == {"confirmed"}


async def test_a_flood_of_duplicate_signups_keeps_the_first_link_and_a_bounded_number(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FakeClock,
) -> None:
    created = (await signup(email="delegate@example.org")).json()
    for _ in range(MANAGE_TOKENS_KEPT + 5):
        clock.advance(minutes=11)
        assert (await signup(email="delegate@example.org")).status_code == 409

    rows = select(func.count()).where(ManageToken.registration_id == created["id"])
    assert await session.scalar(rows) == MANAGE_TOKENS_KEPT
    messages = await queued_messages(session, "delegate@example.org", MailKind.manage_link)
    newest = [
        token_of({"manage_url": manage_url_in(m)}) for m in messages[1 - MANAGE_TOKENS_KEPT :]
    ]
    working = await status_by_link(client, {token_of(created), *newest})
    assert set(working.values()) == {"confirmed"}
