"""Sending a broadcast: one outbox row per matching registrant, in one statement.

The rows are written by one INSERT ... SELECT over the registrations the list's
filters choose (`app.registrations.filters.apply_filters`, so the same filters
mean the same people), without the event lock and without a Python loop over
the registrants: queueing thousands costs one statement. Each row says only
"this broadcast, to this registrant, in their language"; the worker renders it.

The same subject, body and filters again within `REPEAT_WINDOW` is refused
(429 `rate_limited`, with Retry-After): a double click or a retried request
cannot mail the same people twice. Identical requests are serialised by a
transaction-level advisory lock on their fingerprint, so two racing ones cannot
both pass the check.
"""

import hashlib
import json
import math
import uuid
from datetime import datetime, timedelta

from sqlalchemy import String, cast, false, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.broadcasts.schemas import BroadcastCreate, BroadcastRead, DeliveryCounts
from app.kit.db import session_settings
from app.kit.errors import RateLimited
from app.mail.calendar import site_host
from app.models import (
    Broadcast,
    DeliveryState,
    Event,
    MailKind,
    Organiser,
    OutboxMessage,
    Registration,
)
from app.registrations.filters import apply_filters

REPEAT_WINDOW = timedelta(seconds=60)


def fingerprint(request: BroadcastCreate) -> bytes:
    same = {"subject": request.subject, "body": request.body, "filters": request.filters()}
    return hashlib.sha256(json.dumps(same, sort_keys=True).encode()).digest()


async def _refuse_a_repeat(
    session: AsyncSession, event: Event, digest: bytes, *, now: datetime
) -> None:
    # Held to the end of the transaction: an identical request waits, then sees this one.
    lock_key = int.from_bytes(
        hashlib.sha256(event.id.to_bytes(8) + digest).digest()[:8], signed=True
    )
    await session.execute(select(func.pg_advisory_xact_lock(lock_key)))
    last: datetime | None = await session.scalar(
        select(func.max(Broadcast.created_at)).where(
            Broadcast.event_id == event.id,
            Broadcast.fingerprint == digest,
            Broadcast.created_at > now - REPEAT_WINDOW,
        )
    )
    if last is not None:
        wait = math.ceil((last + REPEAT_WINDOW - now).total_seconds())
        raise RateLimited(
            "The same message to the same registrants was sent less than a minute ago.",
            retry_after=max(wait, 1),
        )


async def send_broadcast(
    session: AsyncSession,
    *,
    event: Event,
    organiser: Organiser,
    request: BroadcastCreate,
    now: datetime,
) -> Broadcast:
    """Record the broadcast and queue its messages, in the caller's transaction."""
    digest = fingerprint(request)
    await _refuse_a_repeat(session, event, digest, now=now)
    broadcast = Broadcast(
        id=uuid.uuid4(),
        event_id=event.id,
        organiser_id=organiser.id,
        sent_by=organiser.email,
        subject=request.subject,
        body=request.body,
        filters=request.filters(),
        fingerprint=digest,
        recipients=0,
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    host = site_host(session_settings(session).base_url)
    matching = apply_filters(
        select(
            func.gen_random_uuid(),
            literal(event.id),
            Registration.id,
            literal(MailKind.broadcast.value),
            Registration.email,
            false(),
            literal(request.subject),
            func.concat("<", cast(func.gen_random_uuid(), String), f"@{host}>"),
            Registration.language,
            literal(DeliveryState.pending.value),
            literal(0),
            literal(now),
            literal(now),
            literal(broadcast.id),
        ).where(
            Registration.event_id == event.id,
            # Erased registrants keep no address to write to.
            Registration.erased_at.is_(None),
        ),
        request.registration_filters(),
    )
    columns = [
        OutboxMessage.id,
        OutboxMessage.event_id,
        OutboxMessage.registration_id,
        OutboxMessage.kind,
        OutboxMessage.recipient,
        OutboxMessage.public_cause,
        OutboxMessage.subject,
        OutboxMessage.message_id,
        OutboxMessage.language,
        OutboxMessage.state,
        OutboxMessage.attempts,
        OutboxMessage.next_attempt_at,
        OutboxMessage.created_at,
        OutboxMessage.broadcast_id,
    ]
    queued = await session.execute(insert(OutboxMessage).from_select(columns, matching))
    broadcast.recipients = queued.rowcount  # type: ignore[attr-defined]
    await audit.record(
        session,
        actor=organiser,
        action="broadcast.sent",
        target_type="broadcast",
        target_id=broadcast.id,
        event_id=event.id,
        before={},
        after={
            "subject": broadcast.subject,
            "filters": broadcast.filters,
            "recipients": broadcast.recipients,
        },
        now=now,
    )
    return broadcast


async def history(session: AsyncSession, event: Event) -> list[BroadcastRead]:
    """The event's broadcasts, newest first, each with its messages' delivery states."""
    query = (
        select(Broadcast)
        .where(Broadcast.event_id == event.id)
        .order_by(Broadcast.created_at.desc(), Broadcast.id)
    )
    return await with_delivery(session, list(await session.scalars(query)))


async def with_delivery(session: AsyncSession, broadcasts: list[Broadcast]) -> list[BroadcastRead]:
    """The broadcasts as the history shows them, their rows counted by delivery state
    in one grouped query (on the outbox's broadcast index)."""
    counted = await session.execute(
        select(OutboxMessage.broadcast_id, OutboxMessage.state, func.count())
        .where(OutboxMessage.broadcast_id.in_([b.id for b in broadcasts]))
        .group_by(OutboxMessage.broadcast_id, OutboxMessage.state)
    )
    states: dict[uuid.UUID | None, dict[str, int]] = {}
    for broadcast_id, state, count in counted:
        states.setdefault(broadcast_id, {})[DeliveryState(state).value] = count
    return [
        BroadcastRead(
            id=b.id,
            subject=b.subject,
            body=b.body,
            filters=b.filters,
            sent_by=b.sent_by,
            created_at=b.created_at,
            recipients=b.recipients,
            delivery=DeliveryCounts(**states.get(b.id, {})),
        )
        for b in broadcasts
    ]
