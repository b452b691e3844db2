"""Invitation reminders: one job per event, due at the next reminder of any of its
pending invitations; who is reminded is read from the invitations when it runs.

Each invitation's deadline (`respond_by`) is its own, so the job's due time is
computed, not stored per person: for each of the event's `invitation_reminders`
durations, the earliest deadline of a pending invitation still that far away
(one index lookup on `(event_id, respond_by)` of the pending ones), minus the
duration. Issuing 1,000 invitations, an extension or an edit of the durations
therefore costs at most ten index lookups and one upsert of the job's row
under the event lock, however many invitations the event has; an answer, a
revocation or an expiry writes nothing here (only pending invitations are
reminded, and the job finds none).

Each invitation records `reminders_after`: when it was made, extended or last
reminded. Its reminder for a duration is due when `respond_by` minus the
duration is past and after that moment; so only reminders still to come when
it was made or extended are sent, each once, and of several due at once (the
worker was down) one message goes out. The job runs like every scheduled job
(`app.schedule.jobs`): claimed with SKIP LOCKED, a batch of messages queued in
the transaction that records them, so one worker or many send each once, and
a worker killed mid-step leaves it due. Each reminder carries a new RSVP link
(only its digest is kept, `reminder_token_hash`; the invitation's first link
keeps working). The sender holds back a reminder whose invitation was
answered, revoked, or lapsed since it was queued (`app.mail.worker`).
"""

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.kit.secrets import digest, new_token
from app.mail.invitations.letters import queue_invitation_mail
from app.models import Event, Invitation, InvitationStatus, JobKind, MailKind, ScheduledJob
from app.schedule.durations import parse_duration

BATCH_SIZE = 200
# A reminder skipped because its invitation was being changed is looked at again this soon.
RETRY = timedelta(seconds=5)


def job_key(event_id: int) -> str:
    return f"{JobKind.invitation_reminder}:{event_id}"


def _befores(event: Event) -> list[timedelta]:
    return sorted(parse_duration(duration) for duration in event.invitation_reminders)


def _pending(event: Event) -> list[ColumnElement[bool]]:
    return [Invitation.event_id == event.id, Invitation.status == InvitationStatus.pending]


async def next_reminder(session: AsyncSession, *, event: Event, now: datetime) -> datetime | None:
    """When the event's next invitation reminder still to come is due (None: none is)."""
    found: list[datetime] = []
    for before in _befores(event):
        earliest = await session.scalar(
            select(func.min(Invitation.respond_by)).where(
                *_pending(event), Invitation.respond_by > now + before
            )
        )
        if earliest is not None:
            found.append(earliest - before)
    return min(found, default=None)


async def plan_invitation_reminders(session: AsyncSession, *, event: Event, now: datetime) -> None:
    """Make the event's reminder job due at its next reminder (after invitations are
    made or extended, or the durations edited); one already overdue stays due."""
    if event.cancelled_at is not None:
        return
    due = await next_reminder(session, event=event, now=now)
    if due is None:
        return
    upsert = insert(ScheduledJob).values(
        key=job_key(event.id), kind=JobKind.invitation_reminder, event_id=event.id, due_at=due
    )
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=[ScheduledJob.key],
            set_={
                # An open job keeps the earlier of its time and this one; a done one reopens.
                "due_at": case(
                    (ScheduledJob.done_at.is_(None), func.least(ScheduledJob.due_at, due)),
                    else_=due,
                ),
                "done_at": None,
            },
        )
    )


def _due_condition(befores: list[timedelta], now: datetime) -> ColumnElement[bool]:
    """A reminder for one of `befores` is past, and after the invitation's `reminders_after`."""
    return or_(
        *(
            and_(
                Invitation.respond_by - before <= now,
                Invitation.respond_by - before > Invitation.reminders_after,
            )
            for before in befores
        )
    )


async def send_invitation_reminders(
    session: AsyncSession, job: ScheduledJob, now: datetime
) -> datetime | None:
    """Queue one batch of the event's due invitation reminders (`app.schedule.jobs.Handler`)."""
    event = await session.get(Event, job.event_id, populate_existing=True)
    if event is None or event.cancelled_at is not None or now >= event.starts_at:
        return None
    befores = _befores(event)
    if not befores:
        return None
    due = [
        *_pending(event),
        Invitation.respond_by > now,
        Invitation.respond_by <= now + befores[-1],
        _due_condition(befores, now),
    ]
    # Rows being answered or changed right now are skipped, not waited for (their
    # transaction may be waiting for this job's row): looked at again shortly.
    query = (
        select(Invitation)
        .where(*due)
        .order_by(Invitation.respond_by, Invitation.id)
        .limit(BATCH_SIZE)
        .with_for_update(skip_locked=True)
    )
    batch = list(await session.scalars(query))
    for invitation in batch:
        token = new_token()
        invitation.reminder_token_hash = digest(token)
        invitation.reminders_after = now
        set_committed_value(invitation, "event", event)
        await queue_invitation_mail(
            session,
            kind=MailKind.invitation_reminder,
            invitation=invitation,
            now=now,
            rsvp_token=token,
        )
    await session.flush()
    if len(batch) == BATCH_SIZE:
        return now
    skipped = select(Invitation.id).where(*due, Invitation.id.not_in([one.id for one in batch]))
    if (await session.scalar(skipped.limit(1))) is not None:
        return now + RETRY
    return await next_reminder(session, event=event, now=now)
