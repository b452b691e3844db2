"""The outbox rows: queued in the cause's transaction, claimed and settled by workers."""

import random
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.db import session_settings
from app.kit.secrets import signing_key
from app.mail.calendar import build_calendar, site_host
from app.mail.compose import CalendarFile, Letter, compose
from app.mail.headers import needs_smtputf8
from app.models import DeliveryState, MailKind, OutboxMessage, Registration, RegistrationStatus
from app.tickets.code import ticket_code

RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)


async def enqueue(
    session: AsyncSession,
    *,
    kind: MailKind,
    registration: Registration,
    now: datetime,
    manage_token: str | None = None,
    calendar_method: str | None = None,
) -> OutboxMessage:
    """Render the message for `registration` (event loaded) and queue it in this transaction.

    Its links and sender come from the settings the session was made with.
    """
    settings = session_settings(session)
    # The page opens in the registrant's language, whatever the browser prefers.
    manage_url = (
        f"{settings.base_url}/r/{manage_token}?lang={registration.language.value}"
        if manage_token
        else None
    )
    calendar = None
    if calendar_method is not None:
        data = build_calendar(
            event=registration.event,
            registration=registration,
            base_url=settings.base_url,
            mail_from=settings.mail_from,
            manage_url=manage_url,
            now=now,
            method=calendar_method,
        )
        calendar = CalendarFile(data=data, method=calendar_method)
    confirmed = registration.status == RegistrationStatus.confirmed
    letter = Letter(
        kind=kind,
        registration=registration,
        manage_url=manage_url,
        calendar=calendar,
        # Keyed like the registrant's view and the check-in desk: the process's signing key.
        ticket_code=ticket_code(registration.id, signing_key(settings)) if confirmed else None,
    )
    message = compose(
        letter,
        sender=settings.mail_from,
        message_id=f"<{uuid.uuid4()}@{site_host(settings.base_url)}>",
    )
    return await queue_message(
        session,
        message,
        kind=kind,
        event_id=registration.event.id,
        registration_id=registration.id,
        now=now,
    )


async def queue_message(
    session: AsyncSession,
    message: EmailMessage,
    *,
    kind: MailKind,
    event_id: int,
    registration_id: uuid.UUID | None,
    now: datetime,
) -> OutboxMessage:
    """Queue a composed message (with To, Subject and Message-ID) in this transaction."""
    recipient = message["To"].addresses[0].addr_spec
    # Headers stay ASCII (RFC 2047) unless the address itself cannot.
    utf8 = needs_smtputf8(recipient)
    row = OutboxMessage(
        event_id=event_id,
        registration_id=registration_id,
        kind=kind,
        recipient=recipient,
        subject=str(message["Subject"]),
        message_id=str(message["Message-ID"]),
        body=message.as_bytes(policy=policy.SMTPUTF8 if utf8 else policy.SMTP),
        state=DeliveryState.pending,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def last_queued(
    session: AsyncSession, *, registration: Registration, kind: MailKind
) -> datetime | None:
    """When the registration's latest message of this kind was queued (None: never)."""
    query = select(func.max(OutboxMessage.created_at)).where(
        OutboxMessage.registration_id == registration.id, OutboxMessage.kind == kind
    )
    latest: datetime | None = await session.scalar(query)
    return latest


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    recipient: str
    subject: str
    body: bytes
    attempts: int
    lease: datetime
    """The claim's `claimed_until`: identifies this claim when it is settled."""


async def claim_due(
    session: AsyncSession, *, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Lease up to `limit` due rows to the caller until `now + lease`.

    SKIP LOCKED lets workers claim side by side without waiting for each other;
    the lease (committed with the claim) keeps other workers off the rows while
    they are sent, and lets them take the rows over if this worker dies.
    """
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.state == DeliveryState.pending,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        )
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(claimed_until=now + lease)
        .returning(
            OutboxMessage.id,
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.body,
            OutboxMessage.attempts,
            OutboxMessage.claimed_until,
        )
        .execution_options(synchronize_session=False)
    )
    return [
        Claimed(
            id=r.id,
            recipient=r.recipient,
            subject=r.subject,
            body=r.body,
            attempts=r.attempts,
            lease=r.claimed_until,
        )
        for r in rows
    ]


async def renew_claim(
    session: AsyncSession, row: Claimed, *, now: datetime, lease: timedelta
) -> Claimed | None:
    """Extend this claim on `row` to `now + lease`, just before sending it.

    A batch is claimed at once but sent one by one, each send taking up to the
    SMTP timeouts: without renewal the later rows' lease could run out while
    earlier ones are sent, and a second worker would send them too. None when
    the claim is no longer this worker's (another took the row over, and may
    have sent it): the row is then left alone.
    """
    renewed = await session.scalar(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row.id,
            OutboxMessage.claimed_until == row.lease,
            OutboxMessage.state == DeliveryState.pending,
        )
        .values(claimed_until=now + lease)
        .returning(OutboxMessage.claimed_until)
        .execution_options(synchronize_session=False)
    )
    return None if renewed is None else replace(row, lease=renewed)


async def history(session: AsyncSession, registration_id: uuid.UUID) -> list[OutboxMessage]:
    """A registrant's messages, oldest first."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.registration_id == registration_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.message_id)
    )
    return list(await session.scalars(query))


async def count_by_state(session: AsyncSession, event_id: int) -> dict[DeliveryState, int]:
    """How many of the event's messages are in each delivery state (every state listed)."""
    query = (
        select(OutboxMessage.state, func.count())
        .where(OutboxMessage.event_id == event_id)
        .group_by(OutboxMessage.state)
    )
    counts: dict[DeliveryState, int] = {state: 0 for state in DeliveryState}
    for state, count in await session.execute(query):
        counts[state] = count
    return counts


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff with jitter, so retries from many rows do not arrive in step."""
    ceiling: timedelta = min(RETRY_BASE * 2 ** (attempt - 1), RETRY_CAP)
    return ceiling * random.uniform(0.5, 1.0)


async def settle(
    session: AsyncSession,
    row: Claimed,
    *,
    now: datetime,
    error: str | None = None,
    permanent: bool = False,
    max_attempts: int,
) -> DeliveryState:
    """Record one attempt: sent, retried later, or failed for good.

    Sent and failed rows lose their body: it holds a manage link (a secret token).
    Nothing is recorded if the claim's lease ran out and another worker claimed
    the row since: the outcome is that worker's to record.
    """
    attempts = row.attempts + 1
    values: dict[str, object] = {"attempts": attempts, "claimed_until": None, "last_error": error}
    if error is None:
        state = DeliveryState.sent
        values |= {"sent_at": now, "body": None}
    elif permanent or attempts >= max_attempts:
        state = DeliveryState.failed
        values["body"] = None
    else:
        state = DeliveryState.pending
        values["next_attempt_at"] = now + retry_delay(attempts)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.claimed_until == row.lease)
        .values(state=state, **values)
        .execution_options(synchronize_session=False)
    )
    return state
