"""The outbox rows: queued in the cause's transaction, claimed and settled by workers."""

import random
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

from sqlalchemy import case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.abuse.recipient_cap import cap_reached, public_cap, recipient_key
from app.kit.db import session_settings
from app.mail.calendar import site_host
from app.mail.compose import letter_texts
from app.mail.headers import ascii_domain, needs_smtputf8
from app.models import DeliveryState, MailKind, OutboxMessage, OutboxTally, Registration

RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
SUPPRESSED_OVER_CAP = "not sent: this address had its hourly cap of e-mails caused by the public"


@dataclass(frozen=True)
class Capping:
    """What the per-recipient cap makes of a message about to be queued."""

    key: bytes
    public: bool
    suppressed: bool

    def columns(self) -> dict[str, object]:
        return {
            "recipient_key": self.key,
            "public_cause": self.public,
            "state": DeliveryState.suppressed if self.suppressed else DeliveryState.pending,
            "last_error": SUPPRESSED_OVER_CAP if self.suppressed else None,
        }

    @classmethod
    def of(cls, key: bytes, *, cap: int | None, recent: int) -> "Capping":
        """With `recent` publicly caused messages to the address in the cap's window
        (None for `cap`: the cause is not the public)."""
        return cls(key=key, public=cap is not None, suppressed=cap is not None and recent >= cap)


async def capping(session: AsyncSession, recipient: str, *, now: datetime) -> Capping:
    """What the cap makes of a message to `recipient` now (a sign-up asks the same in
    the statement that takes the event's lock: `recent_public_mail`)."""
    key = recipient_key(recipient)
    cap = public_cap(session)
    suppressed = cap is not None and await cap_reached(session, key, cap=cap, now=now)
    return Capping(key=key, public=cap is not None, suppressed=suppressed)


async def enqueue(
    session: AsyncSession,
    *,
    kind: MailKind,
    registration: Registration,
    now: datetime,
    manage_token: str | None = None,
    calendar_method: str | None = None,
    waitlist_position: int | None = None,
) -> None:
    """Queue a message to `registration` (event loaded) in this transaction.

    The row says what to send; the sender renders it (`app.mail.worker.render`). The
    subject is written now, for organisers' view of the queue; the Message-ID
    is fixed now, so however often the row is rendered, it is one message.
    Over the recipient's cap (a publicly caused message, `app.abuse.recipient_cap`)
    the row is recorded `suppressed`, without a manage token, and never sent.
    """
    capped = await capping(session, ascii_domain(registration.email), now=now)
    values = message_values(
        session,
        kind=kind,
        registration=registration,
        now=now,
        capped=capped,
        manage_token=manage_token,
        calendar_method=calendar_method,
        waitlist_position=waitlist_position,
    )
    await queue_values(session, values)


async def queue_values(session: AsyncSession, values: dict[str, Any]) -> None:
    """Queue the row `message_values` made."""
    await session.execute(insert(OutboxMessage).values(values))


def message_values(
    session: AsyncSession,
    *,
    kind: MailKind,
    registration: Registration,
    now: datetime,
    capped: Capping,
    manage_token: str | None = None,
    calendar_method: str | None = None,
    waitlist_position: int | None = None,
) -> dict[str, Any]:
    """The outbox row's column values for `enqueue`, with the cap already looked up
    (`capping`): the sign-up inserts them in the statement that inserts its row."""
    settings = session_settings(session)
    return {
        "id": uuid.uuid4(),
        "event_id": registration.event.id,
        "registration_id": registration.id,
        "kind": kind,
        "recipient": ascii_domain(registration.email),
        "subject": letter_texts(registration.language, kind, registration)["subject"],
        "message_id": f"<{uuid.uuid4()}@{site_host(settings.base_url)}>",
        "language": registration.language.value,
        "calendar_method": calendar_method,
        "waitlist_position": waitlist_position,
        "manage_token": None if capped.suppressed else manage_token,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        **capped.columns(),
    }


async def queue_message(
    session: AsyncSession,
    message: EmailMessage,
    *,
    kind: MailKind,
    event_id: int,
    registration_id: uuid.UUID | None,
    now: datetime,
) -> OutboxMessage:
    """Queue a composed message (with To, Subject and Message-ID) in this transaction.

    Over the recipient's cap (a publicly caused message, `app.abuse.recipient_cap`)
    it is recorded `suppressed`, without a body, and never sent.
    """
    recipient = message["To"].addresses[0].addr_spec
    # Headers stay ASCII (RFC 2047) unless the address itself cannot.
    utf8 = needs_smtputf8(recipient)
    capped = await capping(session, recipient, now=now)
    row = OutboxMessage(
        event_id=event_id,
        registration_id=registration_id,
        kind=kind,
        recipient=recipient,
        subject=str(message["Subject"]),
        message_id=str(message["Message-ID"]),
        body=None
        if capped.suppressed
        else message.as_bytes(policy=policy.SMTPUTF8 if utf8 else policy.SMTP),
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        **capped.columns(),
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
    attempts: int
    lease: datetime
    """The claim's `claimed_until`: identifies this claim when it is settled."""
    body: bytes | None
    """The message, once rendered (or as queued, for rows rendered when queued)."""
    what: "Pending | None" = None
    """What to render, for a row that has no body yet."""


@dataclass(frozen=True)
class Pending:
    """What a row says to send, for the sender to render."""

    kind: MailKind
    message_id: str
    registration_id: uuid.UUID | None
    language: str | None
    calendar_method: str | None
    waitlist_position: int | None
    manage_token: str | None
    invitation_id: uuid.UUID | None = None
    """For a message about an invitation (`app.mail.invitations`), instead of a registration."""
    rsvp_token: str | None = None
    broadcast_id: uuid.UUID | None = None


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
        .returning(*CLAIM_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    return [claimed_from(row) for row in rows]


# What a claim reads of each row.
CLAIM_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.recipient,
    OutboxMessage.subject,
    OutboxMessage.body,
    OutboxMessage.attempts,
    OutboxMessage.claimed_until,
    OutboxMessage.kind,
    OutboxMessage.message_id,
    OutboxMessage.registration_id,
    OutboxMessage.language,
    OutboxMessage.calendar_method,
    OutboxMessage.waitlist_position,
    OutboxMessage.manage_token,
    OutboxMessage.invitation_id,
    OutboxMessage.rsvp_token,
    OutboxMessage.broadcast_id,
)


def claimed_from(row: Any) -> Claimed:
    """A row read with CLAIM_COLUMNS."""
    return Claimed(
        id=row.id,
        # A broadcast's rows are written by one INSERT ... SELECT, with the address as
        # registered: its domain becomes IDNA here, as `enqueue` does for the others.
        recipient=ascii_domain(row.recipient),
        subject=row.subject,
        body=row.body,
        attempts=row.attempts,
        lease=row.claimed_until,
        what=None
        if row.body is not None
        else Pending(
            kind=row.kind,
            message_id=row.message_id,
            registration_id=row.registration_id,
            language=row.language,
            calendar_method=row.calendar_method,
            waitlist_position=row.waitlist_position,
            manage_token=row.manage_token,
            invitation_id=row.invitation_id,
            rsvp_token=row.rsvp_token,
            broadcast_id=row.broadcast_id,
        ),
    )


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
    """How many of the event's messages are in each delivery state (every state listed):
    from its tallies (`OutboxTally`, a few rows), not a count of its messages."""
    signed = case((OutboxTally.way == "left", -OutboxTally.count), else_=OutboxTally.count)
    query = (
        select(OutboxTally.state, func.sum(signed))
        .where(OutboxTally.event_id == event_id)
        .group_by(OutboxTally.state)
    )
    counts: dict[DeliveryState, int] = {state: 0 for state in DeliveryState}
    for state, count in await session.execute(query):
        counts[DeliveryState(state)] = int(count)
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
    dropped: bool = False,
    max_attempts: int,
) -> DeliveryState:
    """Record one attempt: sent, retried later, failed for good, or (`dropped`: the
    message no longer applies) suppressed, unsent.

    Sent and failed rows lose their manage or RSVP token and any body: the link is a secret.
    Nothing is recorded if the claim's lease ran out and another worker claimed
    the row since: the outcome is that worker's to record.
    """
    attempts = row.attempts + 1
    values: dict[str, object] = {"attempts": attempts, "claimed_until": None, "last_error": error}
    if error is None:
        state = DeliveryState.sent
        values |= {"sent_at": now, "body": None, "manage_token": None, "rsvp_token": None}
    elif dropped:
        state = DeliveryState.suppressed
        values |= {"body": None, "manage_token": None, "rsvp_token": None, "attempts": row.attempts}
    elif permanent or attempts >= max_attempts:
        state = DeliveryState.failed
        values |= {"body": None, "manage_token": None, "rsvp_token": None}
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
