"""Every message kind, in each of the six languages, as the registrant's mail server gets it.

The rows are queued as the service queues them (`app.mail.outbox.enqueue`, with a
manage link and a calendar where the service gives them), the real sender renders
and sends them to a real SMTP server (aiosmtpd), and each message is parsed back
with the `email` package: its language, subject, plain text, HTML, `.ics` and ticket.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from app.broadcasts.schemas import BroadcastCreate
from app.broadcasts.service import send_broadcast
from app.mail.i18n import event_time, moment_in_zone, texts
from app.mail.manage_links import issue_manage_token
from app.mail.outbox import enqueue
from app.models import INVITATION_KINDS, Language, MailKind, Organiser, Registration
from app.tickets.code import ticket_code
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeEvent, MakeOrganiser, MakeRegistration
from tests.fixtures.mail import SendQueued, SmtpServer
from tests.html import parse
from tests.letters import NAMES
from tests.test_mail_messages import html_of, text_of
from tests.ticket_reading import attachment, decode_qr, inline_images

TITLE = "Migration & <Development>"


@dataclass(frozen=True)
class Queued:
    """How the service queues a kind: for a registration in `stage`, with or without
    the manage link, and which calendar file (METHOD) it attaches."""

    stage: str
    link: bool
    calendar: str | None


HOW = {
    MailKind.confirmed: Queued("confirmed", link=True, calendar="PUBLISH"),
    MailKind.waitlisted: Queued("waitlisted", link=True, calendar=None),
    MailKind.pending_approval: Queued("pending_approval", link=True, calendar=None),
    MailKind.promoted: Queued("confirmed", link=True, calendar="PUBLISH"),
    MailKind.cancelled: Queued("cancelled", link=False, calendar="CANCEL"),
    MailKind.declined: Queued("declined", link=False, calendar="CANCEL"),
    MailKind.manage_link: Queued("confirmed", link=True, calendar="PUBLISH"),
    MailKind.event_changed: Queued("confirmed", link=True, calendar="PUBLISH"),
    MailKind.event_cancelled: Queued("confirmed", link=False, calendar="CANCEL"),
    MailKind.verify_email: Queued("pending_verification", link=True, calendar=None),
    MailKind.substitute_confirmed: Queued("confirmed", link=True, calendar="PUBLISH"),
    MailKind.substitute_waitlisted: Queued("waitlisted", link=True, calendar=None),
    MailKind.substitute_pending_approval: Queued("pending_approval", link=True, calendar=None),
    MailKind.seat_passed_on: Queued("cancelled", link=False, calendar="CANCEL"),
    MailKind.reminder: Queued("confirmed", link=True, calendar="PUBLISH"),
    # Waitlisted with a seat offered until a day later; then lapsed (registration ended).
    MailKind.offer: Queued("waitlisted", link=True, calendar=None),
    MailKind.offer_lapsed: Queued("cancelled", link=False, calendar="CANCEL"),
    # Queued by `app.broadcasts.service.send_broadcast`, filtered to its one registrant.
    MailKind.broadcast: Queued("confirmed", link=False, calendar=None),
}
BROADCAST = BroadcastCreate(subject="Room change", body="We meet in <Room 4>.\n\nSee you.")
# The seat messages hand out the ticket.
WITH_TICKET = {
    MailKind.confirmed,
    MailKind.promoted,
    MailKind.substitute_confirmed,
    MailKind.reminder,
}
# The kinds about an offer, whose deadline is a day after the clock's now.
OFFER_KINDS = {MailKind.offer, MailKind.offer_lapsed}
OFFER_HELD = timedelta(days=1)

# One subject written out per language, so a catalog that only echoes English fails here too.
CONFIRMED_SUBJECT = {
    "en": "Registration confirmed: ",
    "fr": "Inscription confirmée : ",
    "es": "Inscripción confirmada: ",
    "ar": "تأكيد التسجيل: ",
    "zh": "报名已确认：",
    "ru": "Регистрация подтверждена: ",
}


def test_every_kind_is_checked() -> None:
    # Invitation messages are about an invitation, not a registration: rendered in
    # every language in tests/test_mail_texts.py, sent in tests/test_invitation_mail.py
    # and tests/test_invitation_import.py, and the reminder in every language in
    # tests/test_invitation_reminders.py.
    assert set(HOW) == set(MailKind) - INVITATION_KINDS


async def queue_every_kind(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_registration: MakeRegistration,
    owner: Organiser,
    clock: FakeClock,
    language: str,
) -> dict[str, tuple[MailKind, Registration]]:
    """One message of each kind, each to a registrant of its own; by recipient address."""
    given, family = NAMES.get(language, ("Ana", "Quispe"))
    queued: dict[str, tuple[MailKind, Registration]] = {}
    for kind, how in HOW.items():
        email = f"{kind.value}@{language}.example"
        made, _ = await make_registration(
            how.stage, email=email, language=language, given_name=given, family_name=family
        )
        async with sessionmaker() as session, session.begin():
            query = select(Registration).options(joinedload(Registration.event))
            registration = (await session.scalars(query.filter_by(id=made.id))).one()
            if kind in OFFER_KINDS:
                registration.offer_expires_at = clock.now() + OFFER_HELD
                await session.flush()
            if kind == MailKind.broadcast:
                to_one = BROADCAST.model_copy(update={"q": email})
                await send_broadcast(
                    session,
                    event=registration.event,
                    organiser=owner,
                    request=to_one,
                    now=clock.now(),
                )
                queued[email] = (kind, registration)
                continue
            token = await issue_manage_token(session, registration, now=clock.now())
            await enqueue(
                session,
                kind=kind,
                registration=registration,
                now=clock.now(),
                manage_token=token if how.link else None,
                calendar_method=how.calendar,
                waitlist_position=2 if HOW[kind].stage == "waitlisted" else None,
            )
        queued[email] = (kind, registration)
    return queued


def calendar_method(message: EmailMessage) -> str | None:
    data = attachment(message, "text/calendar")
    if data is None:
        return None
    text = data.decode()
    assert text.startswith("BEGIN:VCALENDAR") and text.rstrip().endswith("END:VCALENDAR")
    (method,) = [line for line in text.splitlines() if line.startswith("METHOD:")]
    return method.removeprefix("METHOD:")


@pytest.mark.parametrize("language", [language.value for language in Language])
async def test_every_kind_reaches_the_smtp_server_in_the_registrants_language(
    make_event: MakeEvent,
    make_registration: MakeRegistration,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_organiser: MakeOrganiser,
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
    ticket_key: str,
    language: str,
) -> None:
    event = await make_event(title=TITLE, contact_email="sideevent@jmdi.example")
    owner = await make_organiser("owner")
    queued = await queue_every_kind(sessionmaker, make_registration, owner, clock, language)
    await send_queued()

    received = {
        message["To"].addresses[0].addr_spec: message for message in smtp_server.handler.messages
    }
    assert set(received) == set(queued)
    starts: datetime = event.starts_at
    when = event_time(starts, event.ends_at, event.timezone, language)
    deadline = moment_in_zone(clock.now() + OFFER_HELD, event.timezone, language)
    for email, (kind, registration) in queued.items():
        message = received[email]
        written = texts(
            language,
            kind,
            name=f"{registration.given_name} {registration.family_name}",
            title=TITLE,
            position=2,
            organisers=", ".join(event.organisers),
            contact="sideevent@jmdi.example",
            code="",
            deadline=deadline if kind in OFFER_KINDS else "",
        )
        assert message["Content-Language"] == language
        if kind == MailKind.broadcast:
            assert str(message["Subject"]) == BROADCAST.subject
            assert BROADCAST.body in text_of(message).replace("\r\n", "\n")
            assert "We meet in &lt;Room 4&gt;." in html_of(message)
        else:
            assert str(message["Subject"]) == written["subject"]
            assert TITLE in str(message["Subject"])

        text = text_of(message)
        assert written["greeting"] in text
        assert written["lead"] in text
        assert f"{written['when']}{written['colon']}{when}" in text
        assert "{" not in text

        html = parse(html_of(message))
        assert html.one("html").attrs == {
            "lang": language,
            "dir": "rtl" if language == "ar" else "ltr",
        }
        assert " ".join(written["lead"].split()) in html.text
        # (The page's text folds every space, the narrow no-break ones too.)
        assert " ".join(when.split()) in html.text
        # The title comes from people: escaped in the HTML, never markup.
        assert "Migration &amp; &lt;Development&gt;" in html_of(message)

        assert calendar_method(message) == HOW[kind].calendar, kind
        if kind == MailKind.offer:
            assert deadline in text
            assert written["accept_button"] in html.text
            assert written["decline_button"] in html.text
            links = [a.attrs["href"] for a in html.find_all("a")]
            assert any("/accept-offer?lang=" + language in link for link in links)
            assert any("/decline-offer?lang=" + language in link for link in links)
        if kind in WITH_TICKET:
            code = ticket_code(registration.id, ticket_key)
            assert f"{written['ticket_code']}{written['colon']}{code}" in text
            (qr,) = inline_images(message).values()
            assert decode_qr(qr) == [code]
            pdf = attachment(message, "application/pdf")
            assert pdf is not None and pdf.startswith(b"%PDF")
        else:
            assert inline_images(message) == {}
            assert attachment(message, "application/pdf") is None
    confirmed = received[f"confirmed@{language}.example"]
    assert str(confirmed["Subject"]) == CONFIRMED_SUBJECT[language] + TITLE
