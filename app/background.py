"""What the e-mail worker does at each poll besides sending (`app.mail.worker.Duties`):
the scheduler's due jobs (reminders; retention once a day when RETENTION_DAYS is
set) and the waitlist offers whose deadline has passed.

Put together here, above the packages whose rules they run, and handed to the
worker by whoever starts it (`rsvp serve`, `rsvp worker`).
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.mail.worker import Duties
from app.models import JobKind, ScheduledJob
from app.registrations.offers import lapse_due_offers
from app.registrations.retention import purge
from app.schedule.jobs import RETENTION_KEY, Handler, ensure_daily, next_day, run_due_jobs
from app.schedule.reminders import send_reminders

log = logging.getLogger(__name__)


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
    handlers: dict[JobKind, Handler] = {JobKind.reminder: send_reminders}
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
