"""What organisers and invitees read about invitations: the list, one with its e-mails."""

import uuid
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.events.service import read_event
from app.invitations.schemas import InvitationRead, InviteeView
from app.invitations.transitions import status_at
from app.kit.pagination import KeysetPage, keyset_page
from app.kit.text import fold
from app.models import Event, Invitation, InvitationStatus, OutboxMessage
from app.registrations.filters import like_escape
from app.registrations.schemas import EmailRead


def listed_invitations(
    event: Event, statuses: list[InvitationStatus] | None, q: str | None
) -> Select[Invitation]:
    """The event's invitations with these statuses (any, if none) whose name, e-mail or
    organisation hold every word of `q`; the list and the dashboard's table page it."""
    query = (
        select(Invitation)
        .options(joinedload(Invitation.event, innerjoin=True))
        .where(Invitation.event_id == event.id)
    )
    if statuses:
        query = query.where(Invitation.status.in_(statuses))
    for word in fold(q or "").split():
        query = query.where(Invitation.search_text.like(f"%{like_escape(word)}%", escape="\\"))
    return query


async def list_invitations(
    session: AsyncSession,
    *,
    event: Event,
    statuses: list[InvitationStatus] | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> KeysetPage[Invitation]:
    """Oldest first; a cursor resumes after the last row of the page that issued it."""
    return await keyset_page(
        session,
        listed_invitations(event, statuses, q),
        order=Invitation.seq,
        limit=limit,
        cursor=cursor,
    )


async def email_history(session: AsyncSession, invitation_id: uuid.UUID) -> list[EmailRead]:
    """The e-mails about this invitation, oldest first."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.invitation_id == invitation_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.message_id)
    )
    return [EmailRead.model_validate(row) for row in await session.scalars(query)]


async def invitee_view(session: AsyncSession, invitation: Invitation, now: datetime) -> InviteeView:
    """The invitation as its invitee sees it now (expired past the deadline), with its event."""
    read = InvitationRead.model_validate(invitation)
    read.status = status_at(invitation, now)
    if read.status != InvitationStatus.pending:
        read.seats_held = 0
    return InviteeView(**read.model_dump(), event=await read_event(session, invitation.event, now))
