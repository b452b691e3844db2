"""E-mails composed as the service composes them, for tests that open them in a browser."""

import base64
import uuid
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from app.mail.compose import CalendarFile, Letter, compose
from app.mail.invitations.letters import compose_invitation
from app.models import (
    INVITATION_KINDS,
    Broadcast,
    Event,
    Invitation,
    InvitationStatus,
    Language,
    MailKind,
    Registration,
    RegistrationStatus,
)
from tests.fixtures.factories import event_fields

TICKET_CODE = "T1ck3tC0de_-" + "x" * 31
BROADCAST = Broadcast(
    subject="Room change",
    body="We now meet in Conference Room 4.\nThe entrance is unchanged.\n\nSee you there.",
)


def unsaved_event(**overrides: Any) -> Event:
    """The tests' side-event (`event_fields`) as a row never stored: enough for composing."""
    return Event(id=1, ical_sequence=0, **event_fields(**overrides).model_dump())


def unsaved_registration(event: Event, **overrides: Any) -> Registration:
    """A registration at `event`, never stored; waitlisted at 3 unless told otherwise."""
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "email": "ana@cuenca.example",
        "given_name": "Ana",
        "family_name": "Quispe",
        "organisation": "Municipality of Cuenca",
        "language": Language.en,
        "has_un_grounds_pass": False,
        "status": RegistrationStatus.waitlisted,
        "waitlist_position": 3,
    }
    return Registration(event=event, **values | overrides)


NAMES = {"ar": ("ليلى", "حداد"), "zh": ("明", "李"), "ru": ("Анна", "Иванова")}
_STATUS_OF_KIND = {
    MailKind.waitlisted: RegistrationStatus.waitlisted,
    MailKind.pending_approval: RegistrationStatus.pending_approval,
    MailKind.cancelled: RegistrationStatus.cancelled,
    MailKind.declined: RegistrationStatus.declined,
    MailKind.event_cancelled: RegistrationStatus.cancelled,
}


def letter(kind: MailKind, lang: str, door: dict[str, Any]) -> EmailMessage:
    """A message of `kind` to a registrant or invitee writing in `lang`, at `door`'s event."""
    given, family = NAMES.get(lang, ("Ana", "Quispe"))
    if kind in INVITATION_KINDS:
        invitation = unsaved_invitation(
            unsaved_event(**door), given_name=given, family_name=family, language=Language(lang)
        )
        return compose_invitation(
            invitation,
            kind=kind,
            language=Language(lang),
            rsvp_url="http://127.0.0.1/i/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd",
            other="Laia Bonet",
            sender="Side-event registration <noreply@rsvp.test>",
            message_id=f"<{uuid.uuid4()}@rsvp.test>",
        )
    status = _STATUS_OF_KIND.get(kind, RegistrationStatus.confirmed)
    registration = unsaved_registration(
        unsaved_event(**door),
        given_name=given,
        family_name=family,
        language=Language(lang),
        status=status,
        waitlist_position=3 if status == RegistrationStatus.waitlisted else None,
    )
    active = status in {RegistrationStatus.confirmed, RegistrationStatus.waitlisted}
    return compose(
        Letter(
            kind=kind,
            registration=registration,
            manage_url="http://127.0.0.1/r/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd?lang=en"
            if active or status == RegistrationStatus.pending_approval
            else None,
            calendar=CalendarFile(data=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", method="PUBLISH")
            if status == RegistrationStatus.confirmed
            else None,
            ticket_code=TICKET_CODE if status == RegistrationStatus.confirmed else None,
            broadcast=BROADCAST if kind == MailKind.broadcast else None,
        ),
        sender="Side-event registration <noreply@rsvp.test>",
        message_id=f"<{uuid.uuid4()}@rsvp.test>",
    )


def html_with_inline_images(message: EmailMessage) -> str:
    """The HTML part, its cid: images as data: URLs, as a mail client shows them."""
    part = message.get_body(("html",))
    assert part is not None
    html = str(part.get_content())
    for image in message.walk():
        if image.get_content_maintype() == "image" and image["Content-ID"]:
            data = image.get_payload(decode=True)
            assert isinstance(data, bytes)
            cid = str(image["Content-ID"]).strip("<>")
            url = f"data:{image.get_content_type()};base64,{base64.b64encode(data).decode()}"
            html = html.replace(f"cid:{cid}", url)
    return html


def unsaved_invitation(event: Event, **overrides: Any) -> Invitation:
    """An invitation to `event` (two companions, a seat held), never stored."""
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "email": "mayor@barcelona.example",
        "given_name": "Ada",
        "family_name": "Colau",
        "organisation": "City of Barcelona",
        "language": Language.en,
        "companions_allowed": 2,
        "hold_seats": True,
        "allow_delegation": True,
        "respond_by": event.starts_at - timedelta(days=7),
        "status": InvitationStatus.pending,
    }
    invitation = Invitation(**(values | overrides))
    invitation.event = event
    return invitation
