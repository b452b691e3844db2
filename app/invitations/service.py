"""Invitation rules: issuing invitations, the invitee's answers, the organisers' actions.

Every change of the seats an invitation holds takes the event's lock (its
counters row) first, then the invitation's row, like every seat change; the
holds themselves are kept in `event_counters.held` by a trigger on
`invitations.seats_held`, so nothing here counts rows under the lock. Before a
seat decision, the event's lapsed holds are released
(`app.events.seating.release_lapsed_holds`).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.audit import service as audit
from app.events.seating import fill_free_seats, release_lapsed_holds, seats
from app.events.service import get_event
from app.invitations.imports import RowProblems
from app.invitations.schemas import (
    AcceptBody,
    DelegateBody,
    InvitationCreate,
)
from app.invitations.transitions import Move, check
from app.kit.errors import (
    AlreadyInvited,
    AlreadyRegistered,
    EventFull,
    InvalidChange,
    InvalidToken,
    InvalidTransition,
    NotFound,
    RegistrationClosed,
)
from app.kit.secrets import digest, new_token
from app.kit.text import fold, organisation_key
from app.mail import notifications
from app.mail.invitations.letters import queue_invitation_mail
from app.mail.manage_links import add_manage_token
from app.models import (
    ACTIVE_STATUSES,
    Event,
    Invitation,
    InvitationStatus,
    MailKind,
    Organiser,
    Registration,
    RegistrationStatus,
)
from app.registrations.schemas import RegistrationCreate
from app.registrations.service import check_org_limit, find_active_by_email, new_registration
from app.schedule.invitations import plan_invitation_reminders

INVITEE_ACTOR = "invitee"


@dataclass(frozen=True)
class Issued:
    """An invitation with its RSVP token in clear: only when created or resent."""

    invitation: Invitation
    token: str


@dataclass(frozen=True)
class Accepted:
    registration: Registration
    manage_token: str
    companions: list[Registration]


def search_text(invitation: Invitation) -> str:
    parts = (
        invitation.given_name,
        invitation.family_name,
        invitation.email,
        invitation.organisation or "",
    )
    return fold(" ".join(parts))


def default_respond_by(event: Event) -> datetime:
    """When registration closes, else the event's start."""
    return event.registration_closes_at or event.starts_at


def _snapshot(invitation: Invitation) -> dict[str, Any]:
    return audit.as_json(
        {
            "status": invitation.status,
            "seats_held": invitation.seats_held,
            "respond_by": invitation.respond_by,
        }
    )


async def _audit(
    session: AsyncSession,
    *,
    invitation: Invitation,
    action: Move | str,
    before: dict[str, Any],
    actor: Organiser | None,
    now: datetime,
    **extra: Any,
) -> None:
    await audit.record(
        session,
        actor=actor,
        anonymous_actor=INVITEE_ACTOR,
        action=f"invitation.{action}",
        target_type="invitation",
        target_id=invitation.id,
        event_id=invitation.event_id,
        before=before,
        after=_snapshot(invitation) | audit.as_json(extra),
        now=now,
    )


# Issuing ------------------------------------------------------------------------


async def _open_invitations(session: AsyncSession, event: Event, emails: Sequence[str]) -> set[str]:
    """Of `emails` (lower-cased), those with a pending or accepted invitation to the event."""
    query = select(func.lower(Invitation.email)).where(
        Invitation.event_id == event.id,
        func.lower(Invitation.email).in_(emails),
        Invitation.status.in_((InvitationStatus.pending, InvitationStatus.accepted)),
    )
    return set(await session.scalars(query))


async def _registered(session: AsyncSession, event: Event, emails: Sequence[str]) -> set[str]:
    """Of `emails` (lower-cased), those with an active registration for the event."""
    query = select(func.lower(Registration.email)).where(
        Registration.event_id == event.id,
        func.lower(Registration.email).in_(emails),
        Registration.status.in_(ACTIVE_STATUSES),
        Registration.companion_of.is_(None),
    )
    return set(await session.scalars(query))


def _conflicts(
    rows: Sequence[InvitationCreate], taken: set[str], first_row: int
) -> list[dict[str, Any]]:
    """The rows whose person is `taken`, numbered as the other row problems are."""
    return [
        {"row": number, "email": row.email}
        for number, row in enumerate(rows, start=first_row)
        if row.email.lower() in taken
    ]


async def _check_new(
    session: AsyncSession,
    event: Event,
    rows: Sequence[InvitationCreate],
    *,
    now: datetime,
    first_row: int,
) -> None:
    """Refuse the list (all of it) for any row that cannot be invited as it is."""
    problems: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=first_row):
        key = row.email.lower()
        if key in seen:
            problems.append(
                {"row": number, "field": "email", "problem": f"same as row {seen[key]}"}
            )
        seen.setdefault(key, number)
        respond_by = row.respond_by or default_respond_by(event)
        if respond_by <= now:
            problems.append(
                {"row": number, "field": "respond_by", "problem": "must be in the future"}
            )
    if problems:
        raise RowProblems(
            f"{len(problems)} row(s) cannot be invited; nothing was created.", rows=problems
        )
    emails = list(seen)
    invited = _conflicts(rows, await _open_invitations(session, event, emails), first_row)
    if invited:
        raise AlreadyInvited(
            "These people have a pending or accepted invitation already; nothing was created.",
            rows=invited,
        )
    registered = _conflicts(rows, await _registered(session, event, emails), first_row)
    if registered:
        raise AlreadyRegistered(
            "These people are registered for the event already; nothing was created.",
            rows=registered,
        )


def _values(event: Event, row: InvitationCreate, *, now: datetime) -> dict[str, Any]:
    values = row.model_dump() | {
        "id": uuid.uuid4(),
        "event_id": event.id,
        "respond_by": row.respond_by or default_respond_by(event),
        "status": InvitationStatus.pending,
        "created_at": now,
        "updated_at": now,
        "reminders_after": now,
    }
    invitation = Invitation(**values)
    return values | {
        "seats_held": invitation.seats_to_hold,
        "search_text": search_text(invitation),
    }


async def _take_holds(session: AsyncSession, event: Event, wanted: int, *, now: datetime) -> None:
    """Refuse holds beyond the free seats (after releasing lapsed ones): a hold never
    overbooks. The caller holds the event's lock."""
    if wanted == 0:
        return
    figures = await seats(session, event)
    if figures.held:
        await release_lapsed_holds(session, event=event, now=now)
        figures = await seats(session, event)
    if wanted > figures.left:
        raise EventFull(
            f"These invitations would hold {wanted} seat(s), but only {figures.left} are free. "
            "Raise the capacity, or invite without holding seats (hold_seats false).",
            seats_needed=wanted,
            seats_left=figures.left,
        )


async def create_invitations(
    session: AsyncSession,
    *,
    event_slug: str,
    rows: Sequence[InvitationCreate],
    actor: Organiser | None,
    now: datetime,
    dry_run: bool = False,
    first_row: int = 1,
) -> list[Issued] | int:
    """Invite everyone in `rows`, or nobody: each gets an e-mail with their RSVP link.

    Under the event's lock (the holds are seats). Returns the invitations with
    their tokens; with `dry_run`, only checks and returns the seats they would hold.
    `first_row` is the number of the first row (2 in a CSV file under its header).
    """
    event = await get_event(session, event_slug, lock=True)
    if event.cancelled_at is not None:
        raise RegistrationClosed("This event is cancelled.")
    await _check_new(session, event, rows, now=now, first_row=first_row)
    values = [_values(event, row, now=now) for row in rows]
    wanted: int = sum(value["seats_held"] for value in values)
    await _take_holds(session, event, wanted, now=now)
    if dry_run:
        return wanted
    tokens = [new_token() for _ in values]
    for value, token in zip(values, tokens, strict=True):
        value["token_hash"] = digest(token)
    await session.execute(insert(Invitation), values)
    await plan_invitation_reminders(session, event=event, now=now)
    made = await _load(session, [value["id"] for value in values])
    issued = [Issued(made[value["id"]], token) for value, token in zip(values, tokens, strict=True)]
    for one in issued:
        await queue_invitation_mail(
            session,
            kind=MailKind.invitation,
            invitation=one.invitation,
            now=now,
            rsvp_token=one.token,
        )
        await _audit(
            session, invitation=one.invitation, action="create", before={}, actor=actor, now=now
        )
    return issued


async def _load(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Invitation]:
    query = (
        select(Invitation)
        .options(joinedload(Invitation.event, innerjoin=True))
        .where(Invitation.id.in_(ids))
    )
    return {invitation.id: invitation for invitation in await session.scalars(query)}


# Finding and locking -----------------------------------------------------------


async def by_token(session: AsyncSession, token: str) -> Invitation:
    """The invitation the RSVP token opens (its current link only)."""
    query = (
        select(Invitation)
        .options(joinedload(Invitation.event, innerjoin=True))
        .where(
            or_(
                Invitation.token_hash == digest(token),
                Invitation.reminder_token_hash == digest(token),
            )
        )
    )
    invitation = (await session.scalars(query)).one_or_none()
    if invitation is None:
        raise InvalidToken(
            "This invitation link is not valid. Please use the link from your latest e-mail."
        )
    return invitation


async def _lock(session: AsyncSession, *conditions: Any) -> Invitation | None:
    query = (
        select(Invitation)
        .options(joinedload(Invitation.event, innerjoin=True))
        .where(*conditions)
        .with_for_update(of=Invitation)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one_or_none()


async def _locked_by_token(session: AsyncSession, token: str) -> tuple[Event, Invitation]:
    """The event's lock first (holds are seats), then the invitation's row."""
    found = await by_token(session, token)
    event = await get_event(session, found.event.slug, lock=True)
    invitation = await _lock(session, Invitation.id == found.id)
    if invitation is None:  # deleted meanwhile, with its event
        raise InvalidToken("This invitation link is not valid.")
    return event, invitation


async def by_id(
    session: AsyncSession, event: Event, invitation_id: uuid.UUID, *, lock: bool = False
) -> Invitation:
    conditions = (Invitation.event_id == event.id, Invitation.id == invitation_id)
    if lock:
        invitation = await _lock(session, *conditions)
    else:
        query = (
            select(Invitation)
            .options(joinedload(Invitation.event, innerjoin=True))
            .where(*conditions)
        )
        invitation = (await session.scalars(query)).one_or_none()
    if invitation is None:
        raise NotFound("This event has no invitation with that id.")
    return invitation


async def _release(session: AsyncSession, event: Event, invitation: Invitation) -> None:
    """Give up the invitation's held seats (the trigger takes them off `held`)."""
    invitation.seats_held = 0
    await session.flush()


# The invitee's answers -----------------------------------------------------------


def _companion_data(body: AcceptBody, email: str, index: int) -> RegistrationCreate:
    companion = body.companions[index]
    return RegistrationCreate(
        email=email,
        given_name=companion.given_name,
        family_name=companion.family_name,
        organisation=body.organisation,
        affiliation_type=body.affiliation_type,
        country=body.country,
        language=body.language,
        has_un_grounds_pass=companion.has_un_grounds_pass,
        consent=True,
    )


def _statuses(event: Event, free: int, people: int) -> list[RegistrationStatus]:
    """A seat for each while free ones last (the invitee first), then the waitlist."""
    statuses = [
        RegistrationStatus.confirmed if n < free else RegistrationStatus.waitlisted
        for n in range(people)
    ]
    if RegistrationStatus.waitlisted in statuses and not event.waitlist_enabled:
        raise EventFull(
            f"The event has {free} free seat(s) for the {people} of you, and no waitlist."
        )
    return statuses


async def accept(
    session: AsyncSession, *, token: str, body: AcceptBody, now: datetime, ticket_key: str
) -> Accepted:
    """The invitee comes (with named companions): a registration each, approval
    skipped. Their held seats are theirs; beyond them, free seats, then the waitlist.
    Held seats they do not use go to the waitlist at once."""
    event, invitation = await _locked_by_token(session, token)
    check(Move.accept, invitation, now=now)
    if event.cancelled_at is not None:
        raise RegistrationClosed("This event is cancelled.")
    if len(body.companions) > invitation.companions_allowed:
        raise InvalidChange(
            f"This invitation admits at most {invitation.companions_allowed} companion(s); "
            f"{len(body.companions)} were named."
        )
    email = invitation.email
    if await find_active_by_email(session, event, email) is not None:
        raise AlreadyRegistered(
            "This e-mail address is registered for this event already; "
            "use the link from your registration e-mail."
        )
    people = 1 + len(body.companions)
    await check_org_limit(session, event, organisation_key(body.organisation), adding=people)
    before = _snapshot(invitation)
    # Lapsed holds of others first (their seats go to the waitlist), then this one's,
    # which it takes up at once: so nobody else can take them.
    if (await seats(session, event)).held > invitation.seats_held:
        await release_lapsed_holds(session, event=event, now=now)
    await _release(session, event, invitation)
    figures = await seats(session, event)
    statuses = _statuses(event, figures.left, people)

    invitee_data = RegistrationCreate.model_validate(
        body.model_dump(exclude={"companions"}) | {"email": email}
    )
    made: list[Registration] = []
    for n, status in enumerate(statuses):
        data = invitee_data if n == 0 else _companion_data(body, email, n - 1)
        registration = await new_registration(
            session, event=event, data=data, status=status, now=now, ticket_key=ticket_key
        )
        registration.invitation_id = invitation.id
        registration.companion_of = made[0].id if made else None
        if status == RegistrationStatus.waitlisted:
            waiting_before = sum(one.status == RegistrationStatus.waitlisted for one in made)
            registration.waitlist_position = figures.waitlisted + waiting_before + 1
        session.add(registration)
        await session.flush()
        made.append(registration)
    invitee, companions = made[0], made[1:]

    invitation.status = InvitationStatus.accepted
    invitation.responded_at = now
    invitation.updated_at = now
    invitation.registration_id = invitee.id
    await session.flush()
    # Seats held beyond those used (fewer companions came) go to the waitlist now.
    await fill_free_seats(session, event=event, now=now)

    manage_token = new_token()
    await add_manage_token(session, invitee.id, manage_token, now=now)
    await notifications.registration_received(
        session, registration=invitee, manage_token=manage_token, now=now
    )
    for companion in companions:
        await notifications.companion_registered(session, registration=companion, now=now)
    await _audit(
        session,
        invitation=invitation,
        action=Move.accept,
        before=before,
        actor=None,
        now=now,
        registration_id=str(invitee.id),
        companions=[str(one.id) for one in companions],
    )
    return Accepted(registration=invitee, manage_token=manage_token, companions=companions)


async def decline(
    session: AsyncSession, *, token: str, note: str | None, now: datetime
) -> Invitation:
    """The invitee will not come: held seats go to the waitlist at once."""
    event, invitation = await _locked_by_token(session, token)
    check(Move.decline, invitation, now=now)
    before = _snapshot(invitation)
    await _release(session, event, invitation)
    invitation.status = InvitationStatus.declined
    invitation.decline_note = note
    invitation.responded_at = now
    invitation.updated_at = now
    await session.flush()
    await fill_free_seats(session, event=event, now=now)
    await queue_invitation_mail(
        session, kind=MailKind.invitation_declined, invitation=invitation, now=now
    )
    await _audit(
        session, invitation=invitation, action=Move.decline, before=before, actor=None, now=now
    )
    return invitation


async def delegate(
    session: AsyncSession, *, token: str, body: DelegateBody, now: datetime
) -> tuple[Invitation, Issued]:
    """The invitee sends someone in their place: a new pending invitation for the
    delegate, with the same holds and deadline, e-mailed to them. The held seats
    move to it in this transaction, so they are never free in between."""
    event, invitation = await _locked_by_token(session, token)
    check(Move.delegate, invitation, now=now)
    if not invitation.allow_delegation:
        raise InvalidTransition(
            "This invitation is personal and cannot be passed on; please contact the organisers.",
            status=str(invitation.status),
        )
    if body.email.lower() == invitation.email.lower():
        raise InvalidChange("The delegate's e-mail address must differ from the invitation's.")
    emails = [body.email.lower()]
    if await _open_invitations(session, event, emails):
        raise AlreadyInvited("This person has a pending or accepted invitation already.")
    if await _registered(session, event, emails):
        raise AlreadyRegistered("This person is registered for the event already.")
    before = _snapshot(invitation)
    held = invitation.seats_held
    await _release(session, event, invitation)
    token_of_delegate = new_token()
    successor = Invitation(
        id=uuid.uuid4(),
        event_id=event.id,
        email=body.email,
        given_name=body.given_name,
        family_name=body.family_name,
        organisation=invitation.organisation,
        affiliation_type=invitation.affiliation_type,
        language=body.language or invitation.language,
        companions_allowed=invitation.companions_allowed,
        hold_seats=invitation.hold_seats,
        allow_delegation=invitation.allow_delegation,
        respond_by=invitation.respond_by,
        message=invitation.message,
        status=InvitationStatus.pending,
        seats_held=held,
        token_hash=digest(token_of_delegate),
        delegated_from=invitation.id,
        created_at=now,
        updated_at=now,
        reminders_after=now,
    )
    successor.search_text = search_text(successor)
    session.add(successor)
    await session.flush()
    successor.event = event
    await plan_invitation_reminders(session, event=event, now=now)
    invitation.status = InvitationStatus.delegated
    invitation.delegated_to = successor.id
    invitation.responded_at = now
    invitation.updated_at = now
    await session.flush()
    await queue_invitation_mail(
        session, kind=MailKind.invitation_delegated, invitation=invitation, now=now
    )
    await queue_invitation_mail(
        session,
        kind=MailKind.delegate_invitation,
        invitation=successor,
        now=now,
        rsvp_token=token_of_delegate,
    )
    await _audit(
        session,
        invitation=invitation,
        action=Move.delegate,
        before=before,
        actor=None,
        now=now,
        delegated_to=str(successor.id),
    )
    return invitation, Issued(successor, token_of_delegate)


# The organisers' actions -----------------------------------------------------------


async def revoke(
    session: AsyncSession,
    *,
    event_slug: str,
    invitation_id: uuid.UUID,
    actor: Organiser,
    now: datetime,
) -> Invitation:
    """Withdraw a pending invitation: its link stops working, held seats go to the waitlist."""
    event = await get_event(session, event_slug, lock=True)
    invitation = await by_id(session, event, invitation_id, lock=True)
    check(Move.revoke, invitation, now=now)
    before = _snapshot(invitation)
    await _release(session, event, invitation)
    invitation.status = InvitationStatus.revoked
    invitation.updated_at = now
    await session.flush()
    promoted = await fill_free_seats(session, event=event, now=now)
    await _audit(
        session,
        invitation=invitation,
        action=Move.revoke,
        before=before,
        actor=actor,
        now=now,
        promoted=[str(one.id) for one in promoted],
    )
    return invitation


async def resend(
    session: AsyncSession,
    *,
    event_slug: str,
    invitation_id: uuid.UUID,
    actor: Organiser,
    now: datetime,
) -> Issued:
    """E-mail the invitation again with a new RSVP link; the old link stops working."""
    event = await get_event(session, event_slug)
    invitation = await by_id(session, event, invitation_id, lock=True)
    check(Move.resend, invitation, now=now)
    before = _snapshot(invitation)
    token = new_token()
    invitation.token_hash = digest(token)
    invitation.reminder_token_hash = None
    invitation.updated_at = now
    await session.flush()
    kind = MailKind.delegate_invitation if invitation.delegated_from else MailKind.invitation
    await queue_invitation_mail(
        session, kind=kind, invitation=invitation, now=now, rsvp_token=token
    )
    await _audit(
        session, invitation=invitation, action=Move.resend, before=before, actor=actor, now=now
    )
    return Issued(invitation, token)


async def extend(
    session: AsyncSession,
    *,
    event_slug: str,
    invitation_id: uuid.UUID,
    respond_by: datetime,
    actor: Organiser,
    now: datetime,
) -> Invitation:
    """A new deadline. An invitation that expired is open again and holds its seats
    again, if they are free (else 409 `event_full`)."""
    if respond_by <= now:
        raise InvalidChange("respond_by must be in the future.")
    event = await get_event(session, event_slug, lock=True)
    invitation = await by_id(session, event, invitation_id, lock=True)
    check(Move.extend, invitation, now=now)
    before = _snapshot(invitation)
    if invitation.status == InvitationStatus.expired:
        if await _open_invitations(session, event, [invitation.email.lower()]):
            raise AlreadyInvited("This person has a newer pending or accepted invitation.")
        if await find_active_by_email(session, event, invitation.email) is not None:
            raise AlreadyRegistered("This person is registered for the event already.")
        await _take_holds(session, event, invitation.seats_to_hold, now=now)
        invitation.status = InvitationStatus.pending
        invitation.seats_held = invitation.seats_to_hold
    invitation.respond_by = respond_by
    invitation.reminders_after = now
    invitation.updated_at = now
    await session.flush()
    await plan_invitation_reminders(session, event=event, now=now)
    await _audit(
        session, invitation=invitation, action=Move.extend, before=before, actor=actor, now=now
    )
    return invitation
