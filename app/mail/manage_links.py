"""Manage links: the secret link to a registration, one more for each e-mail that carries it."""

import uuid
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.secrets import digest, new_token
from app.models import ManageToken, Registration

# Links kept per registration: the first (from sign-up) and the newest others.
# Each e-mail with a link adds one; the bound stops a flood of duplicate sign-ups
# from growing rows without end, and keeping the first means such a flood
# cannot void the link the registrant had from the start.
MANAGE_TOKENS_KEPT = 10


async def issue_manage_token(
    session: AsyncSession, registration: Registration, *, now: datetime
) -> str:
    """A new manage link for the registration (already flushed); its earlier links keep working.

    Only the digest is stored, so a message that carries the link needs a token
    of its own; adding one, rather than replacing the last, means nobody can void
    a registrant's link by making the service e-mail them.
    """
    token = new_token()
    await add_manage_token(session, registration.id, token, now=now)
    await _drop_surplus(session, registration.id)
    return token


async def add_manage_token(
    session: AsyncSession, registration_id: uuid.UUID, token: str, *, now: datetime
) -> None:
    """Store the digest of `token` as a manage link of the registration (one INSERT)."""
    await session.execute(
        insert(ManageToken).values(
            registration_id=registration_id, token_hash=digest(token), created_at=now
        )
    )


async def _drop_surplus(session: AsyncSession, registration_id: uuid.UUID) -> None:
    """Keep the registration's first token and its newest ones (MANAGE_TOKENS_KEPT in all)."""
    oldest_first = select(ManageToken.id).where(ManageToken.registration_id == registration_id)
    ids = list(await session.scalars(oldest_first.order_by(ManageToken.created_at, ManageToken.id)))
    surplus = ids[1 : -(MANAGE_TOKENS_KEPT - 1)]
    if surplus:
        await session.execute(delete(ManageToken).where(ManageToken.id.in_(surplus)))
