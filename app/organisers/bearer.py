"""Organisers' tokens: opaque, random, stored as SHA-256 digests with an expiry.

Bearer tokens for the API and the dashboard's session cookies alike (`TokenKind`):
each kind is accepted only where it was issued for.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.kit.secrets import digest, new_token
from app.models import AccessToken, Organiser, TokenKind


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    """Seconds."""


async def issue_token(
    session: AsyncSession,
    *,
    organiser: Organiser,
    now: datetime,
    lifetime: timedelta,
    kind: TokenKind = TokenKind.bearer,
) -> IssuedToken:
    token = new_token()
    session.add(
        AccessToken(
            token_hash=digest(token),
            organiser_id=organiser.id,
            created_at=now,
            expires_at=now + lifetime,
            kind=kind,
        )
    )
    await session.flush()
    return IssuedToken(token=token, expires_in=int(lifetime.total_seconds()))


async def organiser_for_token(
    session: AsyncSession, token: str, *, now: datetime, kind: TokenKind = TokenKind.bearer
) -> Organiser | None:
    """The token's organiser while the token is neither expired nor revoked."""
    query = (
        select(AccessToken)
        .options(joinedload(AccessToken.organiser, innerjoin=True))
        .where(
            AccessToken.token_hash == digest(token),
            AccessToken.kind == kind,
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > now,
        )
    )
    access = (await session.scalars(query)).one_or_none()
    return access.organiser if access else None


async def revoke_token(session: AsyncSession, token: str, *, now: datetime) -> None:
    await session.execute(
        update(AccessToken)
        .where(AccessToken.token_hash == digest(token), AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
