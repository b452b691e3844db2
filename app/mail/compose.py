"""Registrant e-mails as MIME messages: plain text and HTML alternatives, a calendar attached."""

from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.mail.headers import ascii_domain, header_text
from app.mail.i18n import event_time, mail_language, texts
from app.models import MailKind, Registration

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    # Names, organisations and titles come from people: escaped in the HTML part.
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

_SEAT_KINDS = {MailKind.confirmed, MailKind.promoted}
# The registration is over: the attached CANCEL removes the entry (event_cancelled says so itself).
_OVER_KINDS = {MailKind.cancelled, MailKind.declined}

# Bodies quoted-printable or base64, never raw 8-bit: any relay takes them as they are.
_SEVEN_BIT = policy.default.clone(cte_type="7bit")


@dataclass(frozen=True)
class CalendarFile:
    data: bytes
    method: str
    """The iCalendar METHOD: PUBLISH adds or updates the entry, CANCEL removes it."""


@dataclass(frozen=True)
class Letter:
    """What to tell one registrant (whose `event` is loaded), in `language` (the
    registrant's, as the message was queued; theirs now when None)."""

    kind: MailKind
    registration: Registration
    manage_url: str | None = None
    calendar: CalendarFile | None = None
    language: str | None = None
    position: int | None = None
    """The waitlist position, for a waitlist message."""


def full_name(registration: Registration) -> str:
    return f"{registration.given_name} {registration.family_name}"


def letter_texts(
    language: str, kind: MailKind, registration: Registration, *, position: int | None = None
) -> dict[str, str]:
    """The message's texts (`subject`, `lead`, ...) for the registrant (event loaded)."""
    event = registration.event
    return texts(
        mail_language(language),
        kind,
        name=full_name(registration),
        title=event.title,
        position=position,
        organisers=", ".join(event.organisers),
    )


def compose(letter: Letter, *, sender: str, message_id: str) -> EmailMessage:
    """The message, without `Date` (the worker adds it when it sends)."""
    registration = letter.registration
    event = registration.event
    language = mail_language(letter.language or registration.language)
    name = full_name(registration)
    text = letter_texts(language, letter.kind, registration, position=letter.position)
    notes = [text["photo_id"]] if letter.kind in _SEAT_KINDS else []
    if letter.calendar is not None and letter.calendar.method == "PUBLISH":
        notes.append(text["calendar_added"])
    elif letter.calendar is not None and letter.kind in _OVER_KINDS:
        notes.append(text["calendar_removed"])
    context: dict[str, Any] = {
        "t": text,
        "language": language,
        "subject": text["subject"],
        "when": event_time(event.starts_at, event.ends_at, event.timezone, language),
        "where": event.venue,
        "notes": notes,
        "manage_url": letter.manage_url,
        "organisers": bool(event.organisers),
    }

    message = EmailMessage(policy=_SEVEN_BIT)
    # Names and the title come from people: made inert before they become headers.
    message["Subject"] = header_text(text["subject"])
    message["From"] = sender
    local, _, domain = ascii_domain(registration.email).rpartition("@")
    message["To"] = Address(display_name=header_text(name), username=local, domain=domain)
    message["Message-ID"] = message_id
    # RFC 3834: tells auto-responders (holiday replies) not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_templates.get_template("message.txt").render(context))
    message.add_alternative(_templates.get_template("message.html").render(context), subtype="html")
    if letter.calendar is not None:
        message.add_attachment(
            letter.calendar.data,
            maintype="text",
            subtype="calendar",
            filename=f"{event.slug}.ics",
            params={"method": letter.calendar.method},
        )
    # Last: set_content() and add_attachment() move Content-* headers into the parts.
    message["Content-Language"] = language
    return message
