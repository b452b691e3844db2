"""What the e-mail worker does besides sending.

- Chores, every few minutes (`housekeep`, run as `HOUSEKEEPING`): deleting sign-ups whose e-mail
  verification lapsed (personal data nobody confirmed), and rate-limit counters
  whose window has ended.
- Duties, at every poll (`due_work`): the scheduler's due jobs (reminders, and
  retention once a day when RETENTION_DAYS is set), and the waitlist offers
  whose deadline has passed.

Handed to the worker by whoever starts it (`rsvp serve`, `rsvp worker`), so the
mail package need not know the registrations it would otherwise import.
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.abuse import rates
from app.config import Settings
from app.mail.worker import Duties, Periodic
from app.models import JobKind, ScheduledJob
from app.privacy.verification import delete_lapsed
from app.registrations.offers import lapse_due_offers
from app.registrations.retention import purge
from app.schedule.invitations import send_invitation_reminders
from app.schedule.jobs import RETENTION_KEY, Handler, ensure_daily, next_day, run_due_jobs
from app.schedule.reminders import send_reminders

log = logging.getLogger(__name__)


async def housekeep(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> None:
    """The e-mail worker's chores (`app.mail.worker.Chores`)."""
    async with sessionmaker() as session, session.begin():
        counters = await rates.expire(session, now=now)
        lapsed = await delete_lapsed(session, now=now)
    if lapsed:
        log.info("housekeeping: deleted %d sign-ups whose verification lapsed", lapsed)
    log.debug("housekeeping: deleted %d ended rate-limit windows", counters)


HOUSEKEEPING = Periodic(every_seconds=300.0, run=housekeep)


def _retention(keep: timedelta) -> Handler:
    async def run(session: AsyncSession, job: ScheduledJob, now: datetime) -> datetime | None:
        report = await purge(session, now=now, keep=keep)
        log.info(
            "retention: %d registrations, %d e-mails, %d audit entries, %d organiser tokens "
            "deleted (events: %s)",
            report.registrations,
            report.emails,
            report.audit_entries,
            report.access_tokens,
            ", ".join(report.events) or "none",
        )
        return next_day(now)

    return run


def job_handlers(settings: Settings) -> Mapping[JobKind, Handler]:
    handlers: dict[JobKind, Handler] = {
        JobKind.reminder: send_reminders,
        JobKind.invitation_reminder: send_invitation_reminders,
    }
    if settings.retention_days is not None:
        handlers[JobKind.retention] = _retention(timedelta(days=settings.retention_days))
    return handlers


def due_work(settings: Settings) -> Duties:
    """The worker's duties for these settings."""
    handlers = job_handlers(settings)
    planned = False

    async def duties(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> int:
        nonlocal planned
        if not planned and JobKind.retention in handlers:
            async with sessionmaker() as session, session.begin():
                await ensure_daily(session, key=RETENTION_KEY, kind=JobKind.retention, now=now)
            planned = True
        lapsed = await lapse_due_offers(sessionmaker, now)
        return lapsed + await run_due_jobs(sessionmaker, now, handlers)

    return duties
