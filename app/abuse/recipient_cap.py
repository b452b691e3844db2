"""The per-recipient cap on e-mail caused by the public.

Anyone can sign up any address, and cancel and sign it up again; without a cap,
a loop of such requests floods a stranger's mailbox from our sender. So e-mail
that a public request causes (a sign-up, a registrant's or invitee's action)
counts against its recipient: past `MAIL_RECIPIENT_CAP` in the last hour, the
action still happens but its message is recorded `suppressed` instead of being
sent (organisers see it so in the e-mail history). What organisers do is
exempt, as are the worker's own messages.

The count runs on an index of (digest of the lower-cased address, time), over
at most `cap` rows, so it costs the same however many messages an address got.
Requests racing for one address may each see room for one more; the cap is a
flood barrier, not an exact quota.
"""

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ScalarSelect, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import OutboxMessage

WINDOW = timedelta(hours=1)
_CAP = "recipient_cap"


def mark_public_cause(session: AsyncSession, *, cap: int) -> None:
    """Messages this session queues are caused by the public: at most `cap` an hour each."""
    session.info[_CAP] = cap


def public_cap(session: AsyncSession) -> int | None:
    """The cap on this session's messages, or None when an organiser or the worker causes them."""
    cap = session.info.get(_CAP)
    return cap if isinstance(cap, int) else None


def recipient_key(address: str) -> bytes:
    return hashlib.sha256(address.strip().lower().encode("utf-8", "surrogatepass")).digest()


def recent_public_mail(key: Any, *, cap: Any, since: Any) -> ScalarSelect[int]:
    """How many publicly caused messages went to the address (its `key`) after `since`,
    counting no further than `cap`: a scalar subquery (the sign-up asks it within the
    statement that takes the event's lock)."""
    recent = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.recipient_key == key,
            # Word for word the partial index's predicate, so the planner uses it.
            text("public_cause AND state <> 'suppressed'"),
            OutboxMessage.created_at > since,
        )
        .limit(cap)
        .subquery()
    )
    return select(func.count()).select_from(recent).scalar_subquery()


async def cap_reached(session: AsyncSession, key: bytes, *, cap: int, now: datetime) -> bool:
    """Whether the address already had `cap` publicly caused messages in the last hour."""
    recent = recent_public_mail(key, cap=cap, since=now - WINDOW)
    return (await session.scalar(select(recent)) or 0) >= cap
