"""Registrant e-mails as MIME messages: plain text and HTML alternatives, a calendar attached.

A message that gives a seat also carries the ticket: the QR code inline in the
HTML part (a PNG, as mail clients block SVG), the ticket code in both parts, and
the printable one-page PDF (`app.tickets.pdf`). Every message says where to go
and whom to ask (the event's entrance, arrival instructions and contact).

Everything is computed from the inputs (the registration with its event, the
link and the ticket code), so whoever calls `compose`, at queueing or at
sending time, gets the same message.
"""

from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from app.kit.text import full_name
from app.mail.headers import MadeOnceHeaders, ascii_domain, header_text, subject_header
from app.mail.i18n import event_time, mail_language, moment_in_zone, texts
from app.models import Broadcast, MailKind, Registration, RegistrationStatus
from app.tickets.pdf import TicketSheet, ticket_pdf
from app.tickets.qr import qr_png

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    # Names, organisations and titles come from people: escaped in the HTML part.
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

_SEAT_KINDS = {
    MailKind.confirmed,
    MailKind.promoted,
    MailKind.substitute_confirmed,
    MailKind.reminder,
}
# The messages that hand out the ticket (an approval is a `confirmed` message).
TICKET_KINDS = frozenset(_SEAT_KINDS)
# The registration is over: the attached CANCEL removes the entry (event_cancelled says so itself).
_OVER_KINDS = {
    MailKind.cancelled,
    MailKind.declined,
    MailKind.seat_passed_on,
    MailKind.offer_lapsed,
}

# Bodies quoted-printable or base64, never raw 8-bit: any relay takes them as they are.
_SEVEN_BIT = policy.default.clone(cte_type="7bit", header_factory=MadeOnceHeaders())


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
    ticket_code: str | None = None
    """The registration's ticket code (`app.tickets.code.ticket_code`), for a confirmed one."""
    language: str | None = None
    position: int | None = None
    """The waitlist position, for a waitlist message."""
    offer_links: tuple[str, str] | None = None
    """For an offer: the pages that accept and decline it."""
    broadcast: Broadcast | None = None
    """The organiser's subject and body, for a broadcast."""

    @property
    def with_ticket(self) -> bool:
        return (
            self.kind in TICKET_KINDS
            and self.ticket_code is not None
            and self.registration.status == RegistrationStatus.confirmed
        )


def letter_texts(
    language: str,
    kind: MailKind,
    registration: Registration,
    *,
    position: int | None = None,
    code: str = "",
) -> dict[str, str]:
    """The message's texts (`subject`, `lead`, ...) for the registrant (event loaded),
    every placeholder filled in; `{deadline}` is the offer's, in the event's time zone."""
    event = registration.event
    offer = registration.offer_expires_at
    return texts(
        mail_language(language),
        kind,
        name=full_name(registration),
        title=event.title,
        position=position,
        organisers=", ".join(event.organisers),
        contact=event.contact_email or "",
        code=code,
        deadline=moment_in_zone(offer, event.timezone, language) if offer else "",
    )


def _with_mail_link(line: str, address: str) -> Markup:
    """The line (escaped) with the address in it as a mailto: link."""
    link = Markup('<a href="mailto:{0}" style="color:#005e91">{0}</a>').format(address)
    return escape(line).replace(escape(address), link)


def _paragraphs(body: str) -> list[Markup]:
    """Plain text as HTML paragraphs (blank lines part them, line breaks stay): every
    character escaped, so an organiser's `<` is a `<` and never markup."""
    parts = [part.strip("\n") for part in body.replace("\r\n", "\n").split("\n\n")]
    return [
        Markup("<br>\n").join(escape(line) for line in part.split("\n")) for part in parts if part
    ]


def _ticket_cid(message_id: str) -> str:
    """The inline QR's Content-ID: unique per message, as RFC 2392 asks."""
    return f"ticket-{message_id.strip('<>')}"


def compose(letter: Letter, *, sender: str, message_id: str) -> EmailMessage:
    """The message, without `Date` (the worker adds it when it sends)."""
    registration = letter.registration
    event = registration.event
    language = mail_language(letter.language or registration.language)
    name = full_name(registration)
    text = letter_texts(
        language, letter.kind, registration, position=letter.position, code=letter.ticket_code or ""
    )
    notes = [text["photo_id"]] if letter.kind in _SEAT_KINDS else []
    if letter.kind in _SEAT_KINDS and not registration.has_un_grounds_pass:
        notes.append(text["no_grounds_pass"])
    if letter.broadcast is not None:
        notes.append(text["reason"])
    if letter.calendar is not None and letter.calendar.method == "PUBLISH":
        notes.append(text["calendar_added"])
    elif letter.calendar is not None and letter.kind in _OVER_KINDS:
        notes.append(text["calendar_removed"])
    subject = letter.broadcast.subject if letter.broadcast is not None else text["subject"]
    context: dict[str, Any] = {
        "t": text,
        "language": language,
        "subject": subject,
        "body": letter.broadcast.body if letter.broadcast is not None else None,
        "body_html": _paragraphs(letter.broadcast.body) if letter.broadcast is not None else [],
        "when": event_time(event.starts_at, event.ends_at, event.timezone, language),
        "where": event.venue,
        "notes": notes,
        "manage_url": letter.manage_url,
        "organisers": bool(event.organisers),
        "entrance": event.entrance,
        "arrival": event.arrival_instructions,
        "contact_email": event.contact_email,
        # Waitlisted, declined or cancelled, the registrant always learns whom to ask.
        "contact": text["contact_line"]
        if event.contact_email
        else (text["contact_by_name"] if event.organisers else None),
        "contact_html": _with_mail_link(text["contact_line"], event.contact_email)
        if event.contact_email
        else text["contact_by_name"]
        if event.organisers
        else None,
        "ticket": (
            {"code": letter.ticket_code, "cid": _ticket_cid(message_id), "alt": text["ticket_alt"]}
            if letter.with_ticket
            else None
        ),
        "dir": "rtl" if language == "ar" else "ltr",
        "offer": (
            {"accept_url": letter.offer_links[0], "decline_url": letter.offer_links[1]}
            if letter.offer_links
            else None
        ),
    }

    message = EmailMessage(policy=_SEVEN_BIT)
    # Names and the title come from people: made inert before they become headers.
    message["Subject"] = subject_header(subject)
    message["From"] = sender
    local, _, domain = ascii_domain(registration.email).rpartition("@")
    message["To"] = Address(display_name=header_text(name), username=local, domain=domain)
    message["Message-ID"] = message_id
    # RFC 3834: tells auto-responders (holiday replies) not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_templates.get_template("message.txt").render(context))
    message.add_alternative(_templates.get_template("message.html").render(context), subtype="html")
    if context["ticket"] is not None:
        _add_ticket(message, letter, cid=context["ticket"]["cid"])
    if letter.calendar is not None:
        message.add_attachment(
            letter.calendar.data,
            maintype="text",
            subtype="calendar",
            filename=f"{event.slug}.ics",
            params={"method": letter.calendar.method},
        )
    if context["ticket"] is not None:
        assert letter.ticket_code is not None
        message.add_attachment(
            printable_ticket(registration, letter.ticket_code),
            maintype="application",
            subtype="pdf",
            filename=f"ticket-{event.slug}.pdf",
        )
    # Last: set_content() and add_attachment() move Content-* headers into the parts.
    message["Content-Language"] = language
    return message


def _add_ticket(message: EmailMessage, letter: Letter, *, cid: str) -> None:
    """The QR code as an inline image of the HTML part (multipart/related)."""
    assert letter.ticket_code is not None
    html = message.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(
        qr_png(letter.ticket_code),
        maintype="image",
        subtype="png",
        cid=f"<{cid}>",
        filename="ticket-qr.png",
        disposition="inline",
    )


def printable_ticket(registration: Registration, ticket_code: str) -> bytes:
    """The one-page PDF ticket (for a confirmed registration, `event` loaded), in the
    registrant's e-mail language: the same whether attached or downloaded."""
    event = registration.event
    language = mail_language(registration.language)
    name = full_name(registration)
    t = letter_texts(language, MailKind.confirmed, registration, code=ticket_code)
    rows = [
        (t["when"], event_time(event.starts_at, event.ends_at, event.timezone, language)),
        (t["where"], event.venue),
    ]
    if event.entrance:
        rows.append((t["entrance"], event.entrance))
    notes = [t["ticket_print"], event.arrival_instructions or t["photo_id"]]
    if not registration.has_un_grounds_pass:
        notes.append(t["no_grounds_pass"])
    if event.contact_email:
        notes.append(t["contact_line"])
    sheet = TicketSheet(
        language=language,
        heading=t["ticket_heading"],
        title=event.title,
        name_label=t["ticket_name"],
        name=name,
        organisation_label=t["ticket_organisation"],
        organisation=registration.organisation,
        rows=rows,
        code_label=t["ticket_code"],
        code=ticket_code,
        qr_alt=t["ticket_alt"],
        notes=notes,
    )
    return ticket_pdf(sheet)
