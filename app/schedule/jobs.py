"""Claiming and doing due jobs: exactly once, whichever worker, surviving restarts.

A job is a row of `scheduled_jobs` with a due time. A worker takes the earliest
due row with FOR UPDATE SKIP LOCKED (others skip it rather than wait) and does
one step of it in the same transaction that records the step: done (`done_at`),
or due again at a later time (a daily job) or at once (a large job done in
batches, its `progress` saved). A worker that dies mid-step rolls back, and its
row is due again for the next worker; nothing is done twice, since each step's
effects (outbox rows) commit with the record of the step.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import JobKind, ScheduledJob

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, ScheduledJob, datetime], Awaitable[datetime | None]]
"""Does one step of a job; returns None when the job is done, else when it is due again."""

# Steps per call, so that sending e-mail is not kept waiting by a long run of jobs.
STEPS_PER_CALL = 20
DAILY = timedelta(days=1)
RETENTION_KEY = "retention"


async def claim_due_job(
    session: AsyncSession, *, now: datetime, kinds: list[JobKind]
) -> ScheduledJob | None:
    """The earliest due job of `kinds` nobody else holds, locked until this transaction ends."""
    query = (
        select(ScheduledJob)
        .where(
            ScheduledJob.done_at.is_(None),
            ScheduledJob.due_at <= now,
            ScheduledJob.kind.in_(kinds),
        )
        .order_by(ScheduledJob.due_at, ScheduledJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(query)).first()


async def run_due_jobs(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    handlers: Mapping[JobKind, Handler],
) -> int:
    """Do up to STEPS_PER_CALL steps of due jobs, each in its own transaction; how many."""
    steps = 0
    while steps < STEPS_PER_CALL:
        async with sessionmaker() as session, session.begin():
            job = await claim_due_job(session, now=now, kinds=list(handlers))
            if job is None:
                break
            again = await handlers[job.kind](session, job, now)
            if again is None:
                job.done_at = now
            else:
                job.due_at = again
        steps += 1
    return steps


async def ensure_daily(session: AsyncSession, *, key: str, kind: JobKind, now: datetime) -> None:
    """A job due now and then every day, added once however many workers start."""
    await session.execute(
        insert(ScheduledJob)
        .values(key=key, kind=kind, due_at=now)
        .on_conflict_do_nothing(index_elements=[ScheduledJob.key])
    )


def next_day(now: datetime) -> datetime:
    return now + DAILY
