"""The registrant's answer to a seat offered from the waitlist, and offers that lapse.

An offer (`app.events.offers`) holds a seat until `offer_expires_at`. Accepting
confirms the registrant; declining ends their registration and offers the seat
to the next person at once; so does cancelling while holding it. Past the
deadline the offer lapses: the registration ends (they are told), the
`offer_expires_at` stays on it so a late answer is told `offer_expired`, and
the seat is offered to the next person. The worker lapses offers as they fall
due (`lapse_due_offers`, every poll); an answer that comes late does it itself.

Every change takes the event's lock, then the registration's row, as every
seat change does; re-checked under them, so two workers, or a worker and a
late answer, lapse an offer once.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from app.events.seating import fill_free_seats
from app.events.service import get_event
from app.kit.errors import InvalidTransition, OfferExpired
from app.mail import notifications
from app.models import Event, Registration, RegistrationStatus
from app.registrations.service import get_by_token, lock_for_change

# Offers lapsed per transaction by the worker.
LAPSE_BATCH = 50


@dataclass(frozen=True)
class Lapsed:
    """The offer had lapsed when the registrant answered: recorded (and passed on),
    to be answered 409 `offer_expired` once committed."""

    registration: Registration

    def error(self) -> OfferExpired:
        deadline = self.registration.offer_expires_at
        when = f" at {deadline.isoformat()}" if deadline else ""
        return OfferExpired(
            f"The seat offered to you was held until{when} and has gone to the next "
            "person on the waitlist."
        )


def _lapsed(registration: Registration, now: datetime) -> bool:
    expires = registration.offer_expires_at
    return expires is not None and expires <= now


async def _lapse(
    session: AsyncSession, event: Event, registration: Registration, now: datetime
) -> None:
    """End the registration whose offer lapsed (under both locks) and pass the seat on."""
    registration.status = RegistrationStatus.cancelled
    registration.waitlist_order = None
    registration.updated_at = now
    await session.flush()
    await notifications.offer_lapsed(session, registration=registration, now=now)
    await fill_free_seats(session, event=event, now=now)


async def _locked(session: AsyncSession, token: str) -> tuple[Event, Registration]:
    """The event's lock, then the registration's row; a lapsed offer's registration
    (no longer active) is returned too, for the answer `offer_expired`."""
    registration = await get_by_token(session, token, position=False)
    if registration.is_active:
        return await lock_for_change(session, token)
    return registration.event, registration


async def _answer(
    session: AsyncSession, token: str, now: datetime
) -> tuple[Event, Registration] | Lapsed:
    event, registration = await _locked(session, token)
    if _lapsed(registration, now):
        if registration.holds_offer:
            await _lapse(session, event, registration, now)
        return Lapsed(registration)
    if not registration.holds_offer:
        raise InvalidTransition(
            "No seat is offered to this registration "
            f"(it is {registration.status.replace('_', ' ')}).",
            stage=registration.status.value,
        )
    return event, registration


async def _leave_waitlist(
    session: AsyncSession, registration: Registration, status: RegistrationStatus, now: datetime
) -> None:
    """The offer answered: confirmed, or over (`cancelled`); they are told."""
    registration.status = status
    registration.waitlist_order = None
    registration.offer_expires_at = None
    registration.updated_at = now
    await session.flush()
    await notifications.status_changed(
        session, registration=registration, previous=RegistrationStatus.waitlisted, now=now
    )


async def accept_offer(
    session: AsyncSession, *, token: str, now: datetime
) -> Registration | Lapsed:
    """The registrant takes the seat held for them: confirmed."""
    answered = await _answer(session, token, now)
    if isinstance(answered, Lapsed):
        return answered
    _, registration = answered
    await _leave_waitlist(session, registration, RegistrationStatus.confirmed, now)
    return registration


async def decline_offer(
    session: AsyncSession, *, token: str, now: datetime
) -> Registration | Lapsed:
    """The registrant turns the seat down: their registration ends, the next is offered."""
    answered = await _answer(session, token, now)
    if isinstance(answered, Lapsed):
        return answered
    event, registration = answered
    await _leave_waitlist(session, registration, RegistrationStatus.cancelled, now)
    await fill_free_seats(session, event=event, now=now)
    return registration


async def _lapse_one(
    session: AsyncSession, slug: str, registration_id: uuid.UUID, now: datetime
) -> bool:
    event = await get_event(session, slug, lock=True)
    query = (
        select(Registration)
        .where(Registration.id == registration_id)
        .with_for_update(of=Registration)
        .execution_options(populate_existing=True)
    )
    registration = (await session.scalars(query)).one_or_none()
    if registration is None or not registration.holds_offer or not _lapsed(registration, now):
        return False  # answered, cancelled or lapsed meanwhile
    set_committed_value(registration, "event", event)
    await _lapse(session, event, registration, now)
    return True


async def lapse_due_offers(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """The worker's round: every offer past its deadline lapses and is passed on
    (each in a transaction of its own); how many lapsed."""
    async with sessionmaker() as session:
        due = (
            await session.execute(
                select(Registration.id, Event.slug)
                .join(Event, Event.id == Registration.event_id)
                .where(
                    Registration.status == RegistrationStatus.waitlisted,
                    Registration.offer_expires_at.is_not(None),
                    Registration.offer_expires_at <= now,
                )
                .order_by(Registration.offer_expires_at)
                .limit(LAPSE_BATCH)
            )
        ).all()
    lapsed = 0
    for registration_id, slug in due:
        async with sessionmaker() as session, session.begin():
            lapsed += await _lapse_one(session, slug, registration_id, now)
    return lapsed
