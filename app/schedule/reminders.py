"""Reminders: one job per event and duration, due that long before the start.

The job holds the due time, not the people: when it runs it writes one outbox
row per registrant confirmed at that moment (in batches, `progress` being the
last `signup_seq` done), so a sign-up, a cancellation or an erasure never
writes, re-times or drops per-person rows, and a reminder reaches exactly
those confirmed when it is due. The rules:

- Only future reminders are planned: a duration whose time has passed when
  the event is created or its `reminders` are edited is not sent; one planned
  and due is sent even to who registered after it was planned.
- A new start time re-times every reminder not yet sent (one UPDATE per
  duration of the event); one sent stays sent. Called off: the unsent are deleted.
- Never after the start: a job due at or after the start is dropped, and the
  sender drops a reminder still queued when the event starts
  (`app.mail.worker`). Of several reminders due at once (the start was
  brought forward), only the latest-due, nearest the start, is sent.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.mail import notifications
from app.models import Event, JobKind, Registration, RegistrationStatus, ScheduledJob
from app.schedule.durations import parse_duration

BATCH_SIZE = 200


def reminder_key(event_id: int, seconds: int) -> str:
    return f"{JobKind.reminder}:{event_id}:{seconds}"


def _seconds(durations: list[str]) -> set[int]:
    return {int(parse_duration(duration).total_seconds()) for duration in durations}


async def _jobs_of(session: AsyncSession, event: Event) -> list[ScheduledJob]:
    query = select(ScheduledJob).where(
        ScheduledJob.event_id == event.id, ScheduledJob.kind == JobKind.reminder
    )
    return list(await session.scalars(query.with_for_update()))


async def plan_reminders(session: AsyncSession, *, event: Event, now: datetime) -> None:
    """Bring the event's reminder jobs in line with its `reminders` and start time
    (after it is created or edited): unsent ones re-timed or, when no longer
    listed, deleted; new ones added when their time is still to come."""
    if event.cancelled_at is not None:
        await drop_plans(session, event=event)
        return
    wanted = _seconds(event.reminders)
    jobs = await _jobs_of(session, event)
    for job in jobs:
        if job.done_at is not None:
            continue
        if job.before_seconds in wanted:
            job.due_at = event.starts_at - timedelta(seconds=job.before_seconds or 0)
        else:
            await session.delete(job)
    for seconds in wanted - {job.before_seconds for job in jobs}:
        due = event.starts_at - timedelta(seconds=seconds)
        if due > now:
            session.add(
                ScheduledJob(
                    key=reminder_key(event.id, seconds),
                    kind=JobKind.reminder,
                    event_id=event.id,
                    before_seconds=seconds,
                    due_at=due,
                )
            )
    await session.flush()


async def drop_plans(session: AsyncSession, *, event: Event) -> None:
    """The event is off: nothing planned for it is sent."""
    await session.execute(
        delete(ScheduledJob).where(
            ScheduledJob.event_id == event.id, ScheduledJob.done_at.is_(None)
        )
    )


async def _superseded(session: AsyncSession, job: ScheduledJob, now: datetime) -> bool:
    """Another of the event's reminders is due too and nearer the start."""
    nearer = select(ScheduledJob.id).where(
        ScheduledJob.event_id == job.event_id,
        ScheduledJob.kind == JobKind.reminder,
        ScheduledJob.done_at.is_(None),
        ScheduledJob.due_at <= now,
        ScheduledJob.before_seconds < (job.before_seconds or 0),
    )
    return (await session.scalar(nearer.limit(1))) is not None


async def send_reminders(
    session: AsyncSession, job: ScheduledJob, now: datetime
) -> datetime | None:
    """One batch of the reminder's messages (`app.schedule.jobs.Handler`)."""
    event = await session.get(Event, job.event_id, populate_existing=True)
    if event is None or event.cancelled_at is not None or now >= event.starts_at:
        return None
    if job.progress is None and await _superseded(session, job, now):
        return None
    query = (
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.confirmed,
            Registration.signup_seq > (job.progress or 0),
        )
        .order_by(Registration.signup_seq)
        .limit(BATCH_SIZE)
    )
    batch = list(await session.scalars(query))
    for registration in batch:
        set_committed_value(registration, "event", event)
        await notifications.reminder_due(session, registration=registration, now=now)
    if len(batch) < BATCH_SIZE:
        return None
    job.progress = batch[-1].signup_seq
    return now
