"""Invitation e-mails: queued in the cause's transaction, rendered when sent.

An outbox row of one of `INVITATION_KINDS` names its invitation (not a
registration) and, for the ones with the RSVP link, carries the token in clear
until it is sent (then dropped, like a manage token): only its digest is kept
on the invitation. The message uses the registrant e-mails' templates and
common texts; each kind's own texts (lead, link's wording) are in the locale
files beside the others.
"""

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.kit.db import session_settings
from app.kit.text import full_name
from app.mail.calendar import site_host
from app.mail.compose import _SEVEN_BIT, _templates, _with_mail_link
from app.mail.headers import ascii_domain, header_text, subject_header
from app.mail.i18n import event_time, mail_language, moment_time, texts
from app.mail.outbox import capping
from app.models import Invitation, MailKind, OutboxMessage

# The kinds whose message carries the RSVP link.
_WITH_LINK = frozenset(
    {MailKind.invitation, MailKind.delegate_invitation, MailKind.invitation_reminder}
)


def invitation_texts(
    language: str, kind: MailKind, invitation: Invitation, *, other: str = ""
) -> dict[str, str]:
    """The message's texts for the invitee (event loaded); `other` names the delegate
    (in the delegator's notice) or the delegator (in the delegate's invitation)."""
    event = invitation.event
    return texts(
        mail_language(language),
        kind,
        name=full_name(invitation),
        title=event.title,
        organisers=", ".join(event.organisers),
        contact=event.contact_email or "",
        position="",
        code="",
        deadline=moment_time(invitation.respond_by, event.timezone, language),
        companions=invitation.companions_allowed,
        other=other,
    )


async def queue_invitation_mail(
    session: AsyncSession,
    *,
    kind: MailKind,
    invitation: Invitation,
    now: datetime,
    rsvp_token: str | None = None,
) -> None:
    """Queue a message about `invitation` (event loaded) to its invitee, in this transaction."""
    settings = session_settings(session)
    recipient = ascii_domain(invitation.email)
    capped = await capping(session, recipient, now=now)
    subject = invitation_texts(invitation.language, kind, invitation)["subject"]
    await session.execute(
        insert(OutboxMessage).values(
            id=uuid.uuid4(),
            event_id=invitation.event_id,
            invitation_id=invitation.id,
            kind=kind,
            recipient=recipient,
            subject=subject,
            message_id=f"<{uuid.uuid4()}@{site_host(settings.base_url)}>",
            language=invitation.language.value,
            rsvp_token=None if capped.suppressed else rsvp_token,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            **capped.columns(),
        )
    )


async def load_invitations(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Invitation]:
    """The invitations (events loaded) a batch of messages is about, by id, with the
    ones they were delegated to or from (whom their messages name)."""
    found: dict[uuid.UUID, Invitation] = {}
    wanted = set(ids)
    for _ in range(2):
        query = (
            select(Invitation)
            .options(joinedload(Invitation.event, innerjoin=True))
            .where(Invitation.id.in_(wanted - found.keys()))
        )
        found |= {invitation.id: invitation for invitation in await session.scalars(query)}
        wanted = {
            other
            for invitation in found.values()
            for other in (invitation.delegated_to, invitation.delegated_from)
            if other is not None
        }
        if not wanted - found.keys():
            break
    return found


def _other_party(
    invitation: Invitation, kind: MailKind, invitations: Mapping[uuid.UUID, Invitation]
) -> str:
    """Whom the message names besides the invitee: the delegate, or the delegator."""
    other_id = {
        MailKind.invitation_delegated: invitation.delegated_to,
        MailKind.delegate_invitation: invitation.delegated_from,
    }.get(kind)
    other = invitations.get(other_id) if other_id is not None else None
    return full_name(other) if other is not None else ""


def render_invitation(
    invitation: Invitation,
    invitations: Mapping[uuid.UUID, Invitation],
    *,
    kind: MailKind,
    language: str | None,
    rsvp_token: str | None,
    base_url: str,
    sender: str,
    message_id: str,
) -> EmailMessage:
    """The message of an outbox row about `invitation` (`invitations`: from `load_invitations`)."""
    language = language or invitation.language.value
    return compose_invitation(
        invitation,
        kind=kind,
        language=language,
        rsvp_url=f"{base_url}/i/{rsvp_token}?lang={language}" if rsvp_token else None,
        other=_other_party(invitation, kind, invitations),
        sender=sender,
        message_id=message_id,
    )


def compose_invitation(
    invitation: Invitation,
    *,
    kind: MailKind,
    language: str | None,
    rsvp_url: str | None,
    other: str,
    sender: str,
    message_id: str,
) -> EmailMessage:
    """The message about `invitation`, without `Date` (added as it is sent)."""
    event = invitation.event
    language = mail_language(language or invitation.language)
    text = invitation_texts(language, kind, invitation, other=other)
    notes: list[str] = []
    if kind in _WITH_LINK:
        if invitation.companions_allowed:
            notes.append(text["companions_note"])
        if invitation.message:
            notes.append(f"{text['personal_note']} {invitation.message}")
        notes.append(text["held_note"] if invitation.hold_seats else text["deadline_note"])
    context: dict[str, Any] = {
        "t": text,
        "language": language,
        "subject": text["subject"],
        "when": event_time(event.starts_at, event.ends_at, event.timezone, language),
        "where": event.venue,
        "notes": notes,
        "manage_url": rsvp_url if kind in _WITH_LINK else None,
        "organisers": bool(event.organisers),
        "entrance": event.entrance,
        "arrival": event.arrival_instructions,
        "contact": text["contact_line"]
        if event.contact_email
        else (text["contact_by_name"] if event.organisers else None),
        "contact_html": _with_mail_link(text["contact_line"], event.contact_email)
        if event.contact_email
        else text["contact_by_name"]
        if event.organisers
        else None,
        "ticket": None,
        "dir": "rtl" if language == "ar" else "ltr",
    }
    message = EmailMessage(policy=_SEVEN_BIT)
    message["Subject"] = subject_header(text["subject"])
    message["From"] = sender
    local, _, domain = ascii_domain(invitation.email).rpartition("@")
    name = header_text(full_name(invitation))
    message["To"] = Address(display_name=name, username=local, domain=domain)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_templates.get_template("message.txt").render(context))
    message.add_alternative(_templates.get_template("message.html").render(context), subtype="html")
    message["Content-Language"] = language
    return message
