"""What organisers may do to a registration, from which stage, and with which role.

`TRANSITIONS` is the whole table (the README shows it too): an action is legal
only from the stages listed for it, else 409 `invalid_transition`.
"""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.audit import service as audit
from app.events.seating import (
    fill_free_seats,
    next_waitlist_order,
    seats,
)
from app.events.service import get_event
from app.kit.errors import EventFull, InvalidTransition, NotFound
from app.kit.secrets import digest
from app.mail import notifications
from app.models import Event, Organiser, OrganiserRole, Registration, RegistrationStatus
from app.models.waitlist import load_positions
from app.registrations.service import cancel_registration


class Action(StrEnum):
    approve = "approve"
    decline = "decline"
    cancel = "cancel"
    promote = "promote"
    check_in = "check-in"
    undo_check_in = "undo-check-in"
    resend_confirmation = "resend-confirmation"


class Stage(StrEnum):
    """A registration's status, with `confirmed` split by whether they have arrived."""

    # No organiser action leads out of it: only the registrant's verification
    # (`app.privacy.verification`), or lapsing after 24 hours.
    pending_verification = "pending_verification"
    pending_approval = "pending_approval"
    waitlisted = "waitlisted"
    confirmed = "confirmed"
    checked_in = "checked_in"
    declined = "declined"
    cancelled = "cancelled"


def stage_of(registration: Registration) -> Stage:
    if registration.checked_in_at is not None:
        return Stage.checked_in
    return Stage(registration.status.value)


@dataclass(frozen=True)
class Rule:
    allowed_from: frozenset[Stage]
    leads_to: frozenset[Stage]
    role: OrganiserRole
    changes_counts: bool
    """Whether the action may change the event's counters (who holds, waits for or
    uses a seat): it then takes the event's lock first, as every such change does
    (the counters row is that lock, so any other order could deadlock); the others
    lock only the registration's row."""


def _rule(
    allowed_from: set[Stage], leads_to: set[Stage], role: OrganiserRole, *, changes_counts: bool
) -> Rule:
    return Rule(frozenset(allowed_from), frozenset(leads_to), role, changes_counts)


TRANSITIONS: Final[Mapping[Action, Rule]] = {
    # A full event puts the approved registrant on the waitlist.
    Action.approve: _rule(
        {Stage.pending_approval},
        {Stage.confirmed, Stage.waitlisted},
        OrganiserRole.owner,
        changes_counts=True,
    ),
    Action.decline: _rule(
        {Stage.pending_approval, Stage.waitlisted},
        {Stage.declined},
        OrganiserRole.owner,
        changes_counts=True,
    ),
    # Someone who has arrived is not cancelled: undo the check-in first.
    Action.cancel: _rule(
        {Stage.pending_approval, Stage.waitlisted, Stage.confirmed},
        {Stage.cancelled},
        OrganiserRole.owner,
        changes_counts=True,
    ),
    # The organiser's override: a seat even when none is left.
    Action.promote: _rule(
        {Stage.waitlisted}, {Stage.confirmed}, OrganiserRole.owner, changes_counts=True
    ),
    Action.check_in: _rule(
        {Stage.confirmed}, {Stage.checked_in}, OrganiserRole.staff, changes_counts=True
    ),
    Action.undo_check_in: _rule(
        {Stage.checked_in}, {Stage.confirmed}, OrganiserRole.staff, changes_counts=True
    ),
    Action.resend_confirmation: _rule(
        {Stage.pending_approval, Stage.waitlisted, Stage.confirmed},
        {Stage.pending_approval, Stage.waitlisted, Stage.confirmed},
        OrganiserRole.owner,
        changes_counts=False,
    ),
}

Effect = Callable[[AsyncSession, Event, Registration, datetime], Awaitable[list[Registration]]]
"""Carries out an action; returns the registrants promoted from the waitlist as a result."""


async def _set_status(
    session: AsyncSession,
    event: Event,
    registration: Registration,
    status: RegistrationStatus,
    now: datetime,
) -> None:
    """Leave the current status, enter `status` (the back of the waitlist), tell them.

    Leaving the waitlist rewrites nobody else's row: positions are derived. A seat
    offered to them is theirs if they are confirmed, else offered to the next.
    """
    previous = registration.status
    passes_offer = registration.holds_offer and status != RegistrationStatus.confirmed
    registration.offer_expires_at = None
    if status == RegistrationStatus.waitlisted:
        waiting = (await seats(session, event)).waitlisted
        registration.waitlist_order = await next_waitlist_order(session)
        registration.status = status
        registration.waitlist_position = waiting + 1
    else:
        registration.waitlist_order = None
        registration.status = status
    registration.updated_at = now
    await session.flush()
    await notifications.status_changed(
        session, registration=registration, previous=previous, now=now
    )
    if passes_offer:
        await fill_free_seats(session, event=event, now=now)


async def _approve(
    session: AsyncSession, event: Event, registration: Registration, now: datetime
) -> list[Registration]:
    if (await seats(session, event)).left > 0:
        status = RegistrationStatus.confirmed
    elif event.waitlist_enabled:
        status = RegistrationStatus.waitlisted
    else:
        raise EventFull("The event is full and has no waitlist; raise its capacity first.")
    await _set_status(session, event, registration, status, now)
    return []


async def _cancel(
    session: AsyncSession, event: Event, registration: Registration, now: datetime
) -> list[Registration]:
    return await cancel_registration(session, registration=registration, event=event, now=now)


def _enter(status: RegistrationStatus) -> Effect:
    """The effect of an action that moves the registration to `status` and no further."""

    async def effect(
        session: AsyncSession, event: Event, registration: Registration, now: datetime
    ) -> list[Registration]:
        await _set_status(session, event, registration, status, now)
        return []

    return effect


def _mark_checked_in(checked_in: bool) -> Effect:
    """The effect of checking someone in (at `now`), or of undoing it."""

    async def effect(
        session: AsyncSession, event: Event, registration: Registration, now: datetime
    ) -> list[Registration]:
        registration.checked_in_at = now if checked_in else None
        registration.updated_at = now
        return []

    return effect


async def _resend_confirmation(
    session: AsyncSession, event: Event, registration: Registration, now: datetime
) -> list[Registration]:
    await notifications.confirmation_requested(session, registration=registration, now=now)
    return []


EFFECTS: Final[Mapping[Action, Effect]] = {
    Action.approve: _approve,
    Action.decline: _enter(RegistrationStatus.declined),
    Action.cancel: _cancel,
    Action.promote: _enter(RegistrationStatus.confirmed),
    Action.check_in: _mark_checked_in(True),
    Action.undo_check_in: _mark_checked_in(False),
    Action.resend_confirmation: _resend_confirmation,
}


def _snapshot(registration: Registration) -> dict[str, Any]:
    return audit.as_json(
        {
            "status": registration.status,
            "checked_in_at": registration.checked_in_at,
        }
    )


# How a refusal names the action: "Can't {doing} a registration that is cancelled."
_DOING = {
    Action.check_in: "check in",
    Action.undo_check_in: "undo the check-in of",
    Action.resend_confirmation: "resend the confirmation of",
}


async def _perform(
    session: AsyncSession,
    *,
    event: Event,
    registration: Registration,
    action: Action,
    actor: Organiser,
    now: datetime,
) -> Registration:
    stage = stage_of(registration)
    if stage not in TRANSITIONS[action].allowed_from:
        checked_in_at = registration.checked_in_at
        raise InvalidTransition(
            f"Can't {_DOING.get(action, action)} a registration that is {stage.replace('_', ' ')}.",
            stage=str(stage),
            checked_in_at=checked_in_at.isoformat() if checked_in_at else None,
        )
    before = _snapshot(registration)
    promoted = await EFFECTS[action](session, event, registration, now)
    await session.flush()
    after = _snapshot(registration)
    if promoted:
        after["promoted"] = [str(other.id) for other in promoted]
    await audit.record(
        session,
        actor=actor,
        action=f"registration.{action}",
        target_type="registration",
        target_id=registration.id,
        event_id=event.id,
        before=before,
        after=after,
        now=now,
    )
    return registration


async def _locked_registration(
    session: AsyncSession, event: Event, *conditions: Any
) -> Registration | None:
    query = (
        select(Registration)
        .options(joinedload(Registration.event, innerjoin=True))
        .where(Registration.event_id == event.id, *conditions)
        .with_for_update(of=Registration)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one_or_none()


async def apply_action(
    session: AsyncSession,
    *,
    event_slug: str,
    registration_id: uuid.UUID,
    action: Action,
    actor: Organiser,
    now: datetime,
) -> Registration:
    """Carry out `action` if the table allows it from the registration's stage.

    The event's lock first when the counters may change (as for every such change), then
    the registration's row. The waitlist position is read afterwards only when
    no event lock is held (a registrant who just joined the waitlist has it set).
    """
    locks_event = TRANSITIONS[action].changes_counts
    event = await get_event(session, event_slug, lock=locks_event)
    registration = await _locked_registration(session, event, Registration.id == registration_id)
    if registration is None:
        raise NotFound("This event has no registration with that id.")
    await _perform(
        session, event=event, registration=registration, action=action, actor=actor, now=now
    )
    if not locks_event:
        await load_positions(session, [registration])
    return registration


async def check_in_by_ticket(
    session: AsyncSession, *, event_slug: str, ticket_code: str, actor: Organiser, now: datetime
) -> Registration:
    """Check in the holder of the QR ticket; a second scan is an invalid transition."""
    event = await get_event(session, event_slug, lock=True)
    registration = await _locked_registration(
        session, event, Registration.ticket_code_hash == digest(ticket_code)
    )
    if registration is None:
        raise NotFound("No registration for this event has this ticket code.")
    return await _perform(
        session,
        event=event,
        registration=registration,
        action=Action.check_in,
        actor=actor,
        now=now,
    )
