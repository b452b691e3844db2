"""Double opt-in (`email_verification`): the seat is taken only once the address is confirmed."""

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Registration
from app.privacy.housekeeping import housekeep
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, signup_body
from tests.fixtures.mail import SendQueued, SmtpServer, manage_url_in
from tests.html import parse
from tests.test_pages import VALID, hidden_fields, submit

SIGNUPS = "/api/events/side-event/registrations"
EMAIL = "mayor@cuenca.example"


async def sign_up(client: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    return await client.post(SIGNUPS, json=signup_body(email=EMAIL, language="en") | fields)


async def link_from_mail(smtp_server: SmtpServer, send_queued: SendQueued) -> str:
    """Send what is queued; the token of the verification link in the one message that came."""
    smtp_server.handler.forget()
    await send_queued()
    (message,) = smtp_server.handler.messages
    assert str(message["Subject"]).startswith("Confirm your registration: ")
    return manage_url_in(message).rsplit("/", 1)[1]


async def seats_left(client: httpx.AsyncClient) -> int:
    return int((await client.get("/api/events/side-event")).json()["seats_left"])


async def test_the_whole_flow_through_the_e_mailed_link(
    make_event: MakeEvent,
    client: httpx.AsyncClient,
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=1, email_verification=True)
    response = await sign_up(client)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending_verification"
    assert "manage_url" not in body
    assert body["verification_expires_at"] == "2013-09-03T14:00:00Z"
    assert await seats_left(client) == 1  # held: nothing

    token = await link_from_mail(smtp_server, send_queued)
    page = parse((await client.get(f"/r/{token}")).text)
    form = page.one("form", action=f"/r/{token}/verify?lang=en")
    assert form.text.strip() == "Confirm my registration"
    verified = await client.post(f"/api/registrations/{token}/verify")
    assert verified.status_code == 200
    assert verified.json()["status"] == "confirmed"
    assert verified.json()["manage_url"] == f"http://rsvp.test/r/{token}"
    assert await seats_left(client) == 0

    # The usual confirmation follows, with a manage link of its own.
    smtp_server.handler.forget()
    await send_queued()
    (confirmation,) = smtp_server.handler.messages
    assert str(confirmation["Subject"]).startswith("Registration confirmed: ")
    assert manage_url_in(confirmation) != f"http://rsvp.test/r/{token}"

    again = await client.post(f"/api/registrations/{token}/verify")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


async def test_verifying_takes_a_place_exactly_as_a_sign_up_would(
    make_event: MakeEvent,
    client: httpx.AsyncClient,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=1, email_verification=True, waitlist_enabled=False)
    await sign_up(client)
    first = await link_from_mail(smtp_server, send_queued)
    await sign_up(client, email="second@cuenca.example")
    second = await link_from_mail(smtp_server, send_queued)
    # Both pending: whoever confirms first gets the one seat.
    assert (await client.post(f"/api/registrations/{second}/verify")).json()["status"] == (
        "confirmed"
    )
    full = await client.post(f"/api/registrations/{first}/verify")
    assert (full.status_code, full.json()["code"]) == (409, "event_full")
    assert (await client.get(f"/api/registrations/{first}")).json()["status"] == (
        "pending_verification"
    )


async def test_on_an_event_with_approval_a_verified_sign_up_awaits_approval(
    make_event: MakeEvent,
    client: httpx.AsyncClient,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(email_verification=True, approval_required=True)
    await sign_up(client)
    token = await link_from_mail(smtp_server, send_queued)
    verified = await client.post(f"/api/registrations/{token}/verify")
    assert verified.json()["status"] == "pending_approval"


async def test_a_second_sign_up_while_pending_sends_the_link_again(
    make_event: MakeEvent,
    client: httpx.AsyncClient,
    session: AsyncSession,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(email_verification=True)
    first = (await sign_up(client)).json()
    await link_from_mail(smtp_server, send_queued)
    again = await sign_up(client, email=EMAIL.upper(), given_name="Someone")
    assert again.status_code == 202
    assert again.json()["id"] == first["id"]
    token = await link_from_mail(smtp_server, send_queued)
    assert (await client.post(f"/api/registrations/{token}/verify")).status_code == 200
    rows = await session.scalar(select(func.count()).select_from(Registration))
    assert rows == 1
    # Verified, the address is registered: a new sign-up is the usual duplicate.
    duplicate = await sign_up(client)
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "already_registered")


async def test_an_unverified_sign_up_lapses_after_24_hours(
    make_event: MakeEvent,
    client: httpx.AsyncClient,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(email_verification=True)
    await sign_up(client)
    token = await link_from_mail(smtp_server, send_queued)
    clock.advance(hours=24)
    lapsed = await client.post(f"/api/registrations/{token}/verify")
    assert (lapsed.status_code, lapsed.json()["code"]) == (409, "verification_expired")
    # A new sign-up is a new pending one; the worker's housekeeping deletes the lapsed.
    assert (await sign_up(client)).status_code == 202
    await housekeep(sessionmaker, now=clock.now())
    assert (await client.get(f"/api/registrations/{token}")).status_code == 404
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Registration)) == 1


async def test_organisers_see_pending_sign_ups_only_when_they_ask(
    make_event: MakeEvent, client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    await make_event(email_verification=True)
    await sign_up(client)
    headers = await auth_headers("viewer")
    listed = "/api/admin/events/side-event/registrations"
    assert (await client.get(listed, headers=headers)).json()["total"] == 0
    pending = await client.get(listed, params={"status": "pending_verification"}, headers=headers)
    assert [r["email"] for r in pending.json()["items"]] == [EMAIL]
    stats = (await client.get("/api/admin/events/side-event/stats", headers=headers)).json()
    assert stats["by_status"]["pending_verification"] == 1


async def test_the_event_field_is_in_the_admin_api(
    make_event: MakeEvent, client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    await make_event()
    headers = await auth_headers("owner")
    changed = await client.patch(
        "/api/admin/events/side-event", json={"email_verification": True}, headers=headers
    )
    assert changed.status_code == 200
    assert changed.json()["email_verification"] is True
    assert (await sign_up(client)).status_code == 202


async def test_the_page_form_says_to_check_the_mailbox_and_the_button_confirms(
    make_event: MakeEvent,
    client: httpx.AsyncClient,
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(email_verification=True)
    response = await submit(client, clock, VALID | {"email": EMAIL})
    assert response.status_code == 202
    assert "Check your e-mail" in parse(response.text).text
    token = await link_from_mail(smtp_server, send_queued)
    manage = await client.get(f"/r/{token}?lang=fr")
    assert "Confirmez votre adresse e-mail" in parse(manage.text).text
    confirmed = await client.post(f"/r/{token}/verify", data=hidden_fields(manage.text))
    assert confirmed.headers["location"] == f"/r/{token}?done=verified"
    page = parse((await client.get(confirmed.headers["location"])).text)
    assert "Merci : votre adresse e-mail est confirmée." in page.text
