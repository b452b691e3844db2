"""What registrants receive: parsed from a real SMTP server after the sender ran."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.events.seed import seed_event
from app.events.service import cancel_event_and_registrations, get_event
from app.kit.errors import InvalidTransition
from app.mail import notifications
from app.models import RegistrationStatus
from app.registrations.service import get_by_token
from tests.fixtures.app import BASE_URL, Signup, own_path, token_of
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, event_fields
from tests.fixtures.mail import SendQueued, SmtpServer, manage_url_in

VENUE = "Conference Room 6, United Nations Headquarters, New York"


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def calendar_of(message: EmailMessage) -> icalendar.Calendar:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return icalendar.Calendar.from_ical(data)


def has_calendar(message: EmailMessage) -> bool:
    return any(p.get_content_type() == "text/calendar" for p in message.iter_attachments())


async def received_by(smtp_server: SmtpServer, send_queued: SendQueued, email: str) -> EmailMessage:
    await send_queued()
    (message,) = [m for m in smtp_server.handler.messages if email in str(m["To"])]
    return message


async def test_signup_confirmation_has_text_and_html_with_time_venue_and_manage_link(
    event: object, signup: Signup, smtp_server: SmtpServer, send_queued: SendQueued
) -> None:
    created = (await signup(email="mayor@cuenca.example", language="en")).json()
    message = await received_by(smtp_server, send_queued, "mayor@cuenca.example")

    assert message.get_content_type() == "multipart/mixed"
    assert str(message["Subject"]).startswith("Registration confirmed: Local Government")
    assert message["To"].addresses[0].addr_spec == "mayor@cuenca.example"
    for body in (text_of(message), html_of(message)):
        # UN house style (en_GB), as on the pages: day before month, 24-hour clock.
        assert "Friday, 4 October 2013, 13:15" in body
        assert "October 4" not in body
        assert VENUE in body
        assert created["manage_url"] in body
    assert manage_url_in(message) == created["manage_url"]


async def test_confirmation_attaches_the_event_for_the_calendar(
    event: object, signup: Signup, smtp_server: SmtpServer, send_queued: SendQueued
) -> None:
    created = (await signup(email="delegate@example.org")).json()
    message = await received_by(smtp_server, send_queued, "delegate@example.org")

    (entry,) = calendar_of(message).walk("VEVENT")
    assert entry.decoded("dtstart") == datetime(
        2013, 10, 4, 13, 15, tzinfo=ZoneInfo("America/New_York")
    )
    assert str(entry["dtstart"].params["TZID"]) == "America/New_York"
    assert str(entry["summary"]).startswith("Local Government: Taking the Migration")
    assert str(entry["location"]) == VENUE
    assert str(entry["uid"]) == f"registration-{created['id']}@rsvp.test"


async def test_headers_mark_the_message_automatic_with_a_date_and_stable_id(
    event: object, signup: Signup, smtp_server: SmtpServer, send_queued: SendQueued
) -> None:
    await signup(email="delegate@example.org")
    message = await received_by(smtp_server, send_queued, "delegate@example.org")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].datetime is not None
    assert str(message["Message-ID"]).endswith("@rsvp.test>")
    assert message["From"] is not None


async def test_french_registrant_gets_french(
    event: object, signup: Signup, smtp_server: SmtpServer, send_queued: SendQueued
) -> None:
    await signup(email="maire@paris.example", language="fr")
    message = await received_by(smtp_server, send_queued, "maire@paris.example")
    assert str(message["Subject"]).startswith("Inscription confirmée")
    assert message["Content-Language"] == "fr"
    for body in (text_of(message), html_of(message)):
        assert "vendredi 4 octobre 2013" in body
        assert "13:15" in body
        assert "Gérer votre inscription" in body or "votre lien personnel" in body


async def test_an_internationalised_address_gets_its_message(
    event: object, signup: Signup, smtp_server: SmtpServer, send_queued: SendQueued
) -> None:
    assert (await signup(email="josé@bücher.example")).status_code == 201
    await send_queued()
    assert smtp_server.handler.recipients == ["josé@xn--bcher-kva.example"]
    (message,) = smtp_server.handler.messages
    assert message["To"].addresses[0].username == "josé"


async def test_names_are_escaped_in_the_html_part(
    event: object, signup: Signup, smtp_server: SmtpServer, send_queued: SendQueued
) -> None:
    await signup(email="delegate@example.org", given_name="<b>Ana</b>")
    message = await received_by(smtp_server, send_queued, "delegate@example.org")
    assert "&lt;b&gt;Ana&lt;/b&gt;" in html_of(message)
    assert "<b>Ana</b>" in text_of(message)


async def test_waitlisted_signup_is_told_its_position_without_a_calendar(
    make_event: MakeEvent, signup: Signup, smtp_server: SmtpServer, send_queued: SendQueued
) -> None:
    await make_event(capacity=0)
    await signup(email="first@example.org")
    await signup(email="second@example.org", language="en")
    message = await received_by(smtp_server, send_queued, "second@example.org")
    assert str(message["Subject"]).startswith("You are on the waitlist")
    assert "at position 2" in text_of(message)
    assert not has_calendar(message)


async def test_signup_awaiting_approval_is_told_so(
    make_event: MakeEvent, signup: Signup, smtp_server: SmtpServer, send_queued: SendQueued
) -> None:
    await make_event(approval_required=True)
    await signup(email="delegate@example.org", language="es")
    message = await received_by(smtp_server, send_queued, "delegate@example.org")
    assert str(message["Subject"]).startswith("Inscripción recibida")
    assert not has_calendar(message)


async def test_promotion_sends_a_calendar_and_a_link_while_the_earlier_link_keeps_working(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=1)
    holder = (await signup()).json()
    waiting = (await signup(email="waiting@example.org", language="en")).json()
    await client.post(own_path(holder, "/cancel"))
    await send_queued()

    (promotion,) = [
        m
        for m in smtp_server.handler.messages
        if "waiting@example.org" in str(m["To"]) and "place is yours" in str(m["Subject"])
    ]
    assert has_calendar(promotion)
    assert "no longer work" not in text_of(promotion)
    new_url = manage_url_in(promotion)
    assert (await client.get(own_path({"manage_url": new_url}))).json()["status"] == "confirmed"
    assert (await client.get(own_path(waiting))).json()["status"] == "confirmed"


async def test_cancelling_sends_a_cancellation(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    created = (await signup(email="delegate@example.org", language="en")).json()
    await client.post(own_path(created, "/cancel"))
    await send_queued()
    subjects = [str(m["Subject"]) for m in smtp_server.handler.messages]
    assert sorted(s.split(":")[0] for s in subjects) == [
        "Registration cancelled",
        "Registration confirmed",
    ]


async def test_declined_registrant_is_told_without_a_link(
    make_event: MakeEvent,
    signup: Signup,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(approval_required=True)
    created = (await signup(email="delegate@example.org", language="en")).json()
    await send_queued()
    async with sessionmaker() as session, session.begin():
        registration = await get_by_token(session, token_of(created))
        registration.status = RegistrationStatus.declined
        await notifications.status_changed(
            session,
            registration=registration,
            previous=RegistrationStatus.pending_approval,
            now=clock.now(),
        )
    await send_queued()
    declined = smtp_server.handler.messages[-1]
    assert str(declined["Subject"]).startswith("Registration not accepted")
    assert BASE_URL + "/r/" not in text_of(declined)


async def test_duplicate_signup_resends_the_link_at_most_every_ten_minutes(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await signup(email="delegate@example.org", language="en")
    for _ in range(3):
        assert (await signup(email="delegate@example.org")).status_code == 409
    clock.advance(minutes=9)
    await signup(email="Delegate@example.org")
    await send_queued()
    resent = [m for m in smtp_server.handler.messages if "registration link" in str(m["Subject"])]
    assert len(resent) == 1

    clock.advance(minutes=2)
    await signup(email="delegate@example.org")
    await send_queued()
    latest = smtp_server.handler.messages[-1]
    assert "registration link" in str(latest["Subject"])
    for message in (latest, resent[0]):
        link = own_path({"manage_url": manage_url_in(message)})
        assert (await client.get(link)).status_code == 200


async def test_event_change_sends_an_updated_calendar_to_every_active_registrant(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=1)
    seated = (await signup(email="seated@example.org", language="en")).json()
    await signup(email="waiting@example.org", language="en")
    gone = (await signup(email="gone@example.org")).json()
    await client.post(own_path(gone, "/cancel"))
    await send_queued()
    (first,) = [m for m in smtp_server.handler.messages if "seated@" in str(m["To"])]
    smtp_server.handler.forget()

    async with sessionmaker() as session, session.begin():
        await seed_event(
            session, event_fields(capacity=1, venue="Conference Room 4"), now=clock.now()
        )
    await send_queued()

    by_recipient = {m["To"].addresses[0].addr_spec: m for m in smtp_server.handler.messages}
    assert set(by_recipient) == {"seated@example.org", "waiting@example.org"}
    update = by_recipient["seated@example.org"]
    assert str(update["Subject"]).startswith("Event updated")
    assert "Conference Room 4" in text_of(update)
    (before,) = calendar_of(first).walk("VEVENT")
    (after,) = calendar_of(update).walk("VEVENT")
    assert after["uid"] == before["uid"]
    assert after.decoded("sequence") > before.decoded("sequence")
    assert str(after["location"]) == "Conference Room 4"
    assert not has_calendar(by_recipient["waiting@example.org"])
    for link in (seated["manage_url"], manage_url_in(update)):
        assert (await client.get(own_path({"manage_url": link}))).status_code == 200


async def test_seeding_the_event_unchanged_sends_no_update(
    event: object,
    signup: Signup,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    send_queued: SendQueued,
) -> None:
    await signup()
    assert await send_queued() == 1
    async with sessionmaker() as session, session.begin():
        await seed_event(session, event_fields(), now=clock.now())
    assert await send_queued() == 0


async def test_cancelled_event_sends_one_calendar_cancellation_to_each_active_registrant(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=1)
    seated = (await signup(email="seated@example.org", language="en")).json()
    await signup(email="waiting@example.org", language="en")
    await send_queued()
    smtp_server.handler.forget()

    async with sessionmaker() as session, session.begin():
        event = await get_event(session, "side-event")
        assert await cancel_event_and_registrations(session, event=event, now=clock.now()) == 2
    await send_queued()

    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.handler.messages) == [
        "seated@example.org",
        "waiting@example.org",
    ]
    for message in smtp_server.handler.messages:
        assert str(message["Subject"]).startswith("Event cancelled")
        calendar = calendar_of(message)
        assert str(calendar["method"]) == "CANCEL"
        assert str(calendar.walk("VEVENT")[0]["status"]) == "CANCELLED"
    assert (await client.get(own_path(seated))).json()["status"] == "cancelled"
    public = (await client.get("/api/events/side-event")).json()
    assert datetime.fromisoformat(public["cancelled_at"]) == clock.now()
    assert public["registration_open"] is False
    assert (await signup()).json()["code"] == "registration_closed"


async def test_organiser_resend_sends_the_confirmation_with_a_link_and_the_old_one_works(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    created = (await signup(email="delegate@example.org", language="en")).json()
    async with sessionmaker() as session, session.begin():
        registration = await get_by_token(session, token_of(created))
        await notifications.confirmation_requested(
            session, registration=registration, now=clock.now()
        )
    await send_queued()

    (resent,) = [
        m for m in smtp_server.handler.messages if manage_url_in(m) != created["manage_url"]
    ]
    assert str(resent["Subject"]).startswith("Registration confirmed")
    assert has_calendar(resent)
    assert "no longer work" not in text_of(resent)
    new_url = manage_url_in(resent)
    assert (await client.get(own_path({"manage_url": new_url}))).status_code == 200
    assert (await client.get(own_path(created))).status_code == 200


async def test_a_change_of_capacity_alone_sends_no_update(
    event: object,
    signup: Signup,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    send_queued: SendQueued,
) -> None:
    await signup()
    await send_queued()
    async with sessionmaker() as session, session.begin():
        await seed_event(session, event_fields(capacity=200), now=clock.now())
    assert await send_queued() == 0


async def test_an_event_cannot_be_cancelled_twice(
    event: object, sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    async with sessionmaker() as session, session.begin():
        side_event = await get_event(session, "side-event")
        await cancel_event_and_registrations(session, event=side_event, now=clock.now())
        with pytest.raises(InvalidTransition):
            await cancel_event_and_registrations(session, event=side_event, now=clock.now())


async def test_manage_links_open_the_page_in_the_registrants_language(
    event: object, signup: Signup, smtp_server: SmtpServer, send_queued: SendQueued
) -> None:
    created = (await signup(email="delegue@example.org", language="fr")).json()
    message = await received_by(smtp_server, send_queued, "delegue@example.org")
    assert f"{created['manage_url']}?lang=fr" in text_of(message)
    assert f"{created['manage_url']}?lang=fr" in html_of(message)


SelfOrOrganiser = Callable[[httpx.AsyncClient, dict[str, Any], dict[str, str]], Awaitable[object]]


async def cancels_themselves(
    client: httpx.AsyncClient, created: dict[str, Any], owner: dict[str, str]
) -> object:
    return await client.post(own_path(created, "/cancel"))


async def organiser_cancels(
    client: httpx.AsyncClient, created: dict[str, Any], owner: dict[str, str]
) -> object:
    path = f"/api/admin/events/side-event/registrations/{created['id']}/cancel"
    return await client.post(path, headers=owner)


@pytest.mark.parametrize(
    "cancel", [cancels_themselves, organiser_cancels], ids=lambda f: f.__name__
)
async def test_a_cancelled_seat_is_removed_from_the_calendar(
    cancel: SelfOrOrganiser,
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    created = (await signup(email="delegate@example.org", language="en")).json()
    confirmation = await received_by(smtp_server, send_queued, "delegate@example.org")
    smtp_server.handler.forget()
    response = await cancel(client, created, await auth_headers("owner"))
    assert getattr(response, "status_code", None) == 200

    cancellation = await received_by(smtp_server, send_queued, "delegate@example.org")
    assert str(cancellation["Subject"]).startswith("Registration cancelled")
    (added,) = calendar_of(confirmation).walk("VEVENT")
    calendar = calendar_of(cancellation)
    (removed,) = calendar.walk("VEVENT")
    assert str(calendar["method"]) == "CANCEL"
    assert str(removed["status"]) == "CANCELLED"
    assert removed["uid"] == added["uid"]
    assert removed.decoded("sequence") > added.decoded("sequence")
    assert "the attached calendar file (.ics) removes it" in text_of(cancellation)


async def test_a_declined_registrant_gets_a_calendar_cancellation(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    # A waitlisted registrant may have added the tentative entry from calendar.ics.
    await make_event(capacity=0)
    created = (await signup(email="waiting@example.org", language="en")).json()
    tentative = await client.get(own_path(created, "/calendar.ics"))
    (entry,) = icalendar.Calendar.from_ical(tentative.content).walk("VEVENT")
    await send_queued()
    smtp_server.handler.forget()
    path = f"/api/admin/events/side-event/registrations/{created['id']}/decline"
    assert (await client.post(path, headers=await auth_headers("owner"))).status_code == 200

    declined = await received_by(smtp_server, send_queued, "waiting@example.org")
    calendar = calendar_of(declined)
    (removed,) = calendar.walk("VEVENT")
    assert (str(calendar["method"]), str(removed["status"])) == ("CANCEL", "CANCELLED")
    assert removed["uid"] == entry["uid"]
    assert removed.decoded("sequence") > entry.decoded("sequence")


async def test_every_calendar_names_its_organiser_from_mail_from(
    event: object,
    signup: Signup,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
    settings: Settings,
) -> None:
    await signup(email="delegate@example.org", language="en")
    message = await received_by(smtp_server, send_queued, "delegate@example.org")
    (entry,) = calendar_of(message).walk("VEVENT")
    assert str(entry["organizer"]) == f"mailto:{parseaddr(settings.mail_from)[1]}"
    assert entry["organizer"].params["CN"] == "JMDI, UNITAR, KNOMAD"
