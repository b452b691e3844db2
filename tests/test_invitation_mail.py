"""What invitees are told, through the outbox and the real sender: the invitation with
its RSVP link, note and deadline in the venue's time; the accepted seats' tickets; the
decline's and the delegation's notices; the delegate's own invitation."""

import re

import httpx

from tests.fixtures.factories import MakeEvent
from tests.fixtures.invitations import Invite, accept_body, rsvp_token
from tests.fixtures.mail import SendQueued, SmtpServer
from tests.ticket_reading import attachment

_RSVP = re.compile(r"http://rsvp\.test/i/[A-Za-z0-9_-]+")


def _plain(message: object) -> str:
    body = message.get_body(("plain",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


async def test_the_invitation_carries_the_link_the_note_and_the_deadline(
    make_event: MakeEvent, invite: Invite, send_queued: SendQueued, smtp_server: SmtpServer
) -> None:
    await make_event()
    made = await invite(
        language="en",
        companions_allowed=1,
        message="We would be honoured by your presence.",
        respond_by="2013-09-28T03:30:00+00:00",  # 27 September, 23:30 in New York
    )

    await send_queued()

    [message] = smtp_server.handler.messages
    assert message["To"].addresses[0].addr_spec == made["email"]
    assert str(message["Subject"]).startswith("Invitation: ")
    text = _plain(message)
    assert set(_RSVP.findall(text)) == {made["rsvp_url"]}
    assert "We would be honoured by your presence." in text
    assert "Friday, 27 September 2013, 23:30 (Eastern Daylight Time)" in text
    assert "up to 1 named guest" in text


async def test_accepting_sends_a_ticket_for_each_seat(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    invite: Invite,
    send_queued: SendQueued,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    made = await invite(companions_allowed=1)
    await send_queued()
    smtp_server.handler.forget()
    guest = {"given_name": "Jordi", "family_name": "Puig", "has_un_grounds_pass": False}

    response = await client.post(
        f"/api/invitations/{rsvp_token(made)}/accept",
        json=accept_body(language="fr", companions=[guest]),
    )
    assert response.status_code == 201
    await send_queued()

    messages = smtp_server.handler.messages
    assert [m["To"].addresses[0].addr_spec for m in messages] == [made["email"]] * 2
    for message in messages:
        assert attachment(message, "application/pdf") is not None
        assert attachment(message, "text/calendar") is not None
    codes = [response.json()["ticket_code"], response.json()["companions"][0]["ticket_code"]]
    assert sorted(code for code in codes for m in messages if code in _plain(m)) == sorted(codes)


async def test_declining_and_delegating_are_confirmed_and_the_delegate_is_invited(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    invite: Invite,
    send_queued: SendQueued,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    declining, delegating = await invite(language="es"), await invite(language="en")
    await send_queued()
    smtp_server.handler.forget()

    await client.post(f"/api/invitations/{rsvp_token(declining)}/decline")
    await client.post(
        f"/api/invitations/{rsvp_token(delegating)}/delegate",
        json={"email": "deputy@example.org", "given_name": "Laia", "family_name": "Bonet"},
    )
    await send_queued()

    by_recipient = {m["To"].addresses[0].addr_spec: m for m in smtp_server.handler.messages}
    assert set(by_recipient) == {declining["email"], delegating["email"], "deputy@example.org"}
    assert str(by_recipient[declining["email"]]["Subject"]).startswith("Invitación declinada")
    assert "Laia Bonet" in _plain(by_recipient[delegating["email"]])
    to_delegate = _plain(by_recipient["deputy@example.org"])
    assert "Ada Colau has passed their invitation" in to_delegate
    [link] = {link for link in _RSVP.findall(to_delegate)}
    seen = await client.get(f"/api/invitations/{link.rsplit('/', 1)[1]}")
    assert seen.status_code == 200
    assert seen.json()["email"] == "deputy@example.org"
