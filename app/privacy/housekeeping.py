"""Chores the e-mail worker does every few minutes: deleting sign-ups whose e-mail
verification lapsed (personal data nobody confirmed), and rate-limit counters whose
window has ended.

Handed to the worker by whoever starts it (`rsvp serve`, `rsvp worker`), so the
mail package need not know the registrations it would otherwise import.
"""

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.abuse import rates
from app.privacy.verification import delete_lapsed

log = logging.getLogger(__name__)


async def housekeep(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> None:
    """The e-mail worker's chores (`app.mail.worker.Chores`)."""
    async with sessionmaker() as session, session.begin():
        counters = await rates.expire(session, now=now)
        lapsed = await delete_lapsed(session, now=now)
    if lapsed:
        log.info("housekeeping: deleted %d sign-ups whose verification lapsed", lapsed)
    log.debug("housekeeping: deleted %d ended rate-limit windows", counters)
