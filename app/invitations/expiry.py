"""Invitations past their deadline: the e-mail worker's periodic job, no cron needed.

A lapsed hold stops counting at the deadline by itself (readers leave it out,
and the next seat change of its event releases it first); this job records it
for events nobody touches: within a minute, each event with pending
invitations past `respond_by` has them marked `expired`, their held seats
freed and given to its waitlist, one event per transaction under its lock.
"""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.events.seating import release_lapsed_holds
from app.events.service import get_event
from app.mail.worker import Periodic
from app.models import Event, Invitation, InvitationStatus

log = logging.getLogger(__name__)

EXPIRY_INTERVAL_SECONDS = 30.0
# Events handled per run; the rest wait for the next run (30 s later).
EVENTS_PER_RUN = 100


async def expire_lapsed(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Expire every event's lapsed invitations (run by the worker as `EXPIRY`); returns how many."""
    async with sessionmaker() as session:
        slugs = list(
            await session.scalars(
                select(Event.slug)
                .where(
                    Event.id.in_(
                        select(Invitation.event_id)
                        .where(
                            Invitation.status == InvitationStatus.pending,
                            Invitation.respond_by < now,
                        )
                        .distinct()
                    )
                )
                .limit(EVENTS_PER_RUN)
            )
        )
    expired = 0
    for slug in slugs:
        async with sessionmaker() as session, session.begin():
            event = await get_event(session, slug, lock=True)
            expired += await release_lapsed_holds(session, event=event, now=now)
    if expired:
        log.info("invitations: %d expired at their deadline", expired)
    return expired


async def _job(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> None:
    await expire_lapsed(sessionmaker, now)


EXPIRY = Periodic(every_seconds=EXPIRY_INTERVAL_SECONDS, run=_job)
