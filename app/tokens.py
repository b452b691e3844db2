"""Secret tokens and ticket codes: handed out in clear, stored only as SHA-256 digests."""

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ManageToken, Registration

TOKEN_BYTES = 32

# Links kept per registration: the first (from sign-up) and the newest others.
# Each e-mail with a link adds one; the bound stops a flood of duplicate sign-ups
# from growing rows without end, and keeping the first means such a flood
# cannot void the link the registrant had from the start.
MANAGE_TOKENS_KEPT = 10


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> bytes:
    # surrogatepass: any text a client sends has a digest (and matches nothing).
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def ticket_code(registration_id: uuid.UUID, key: str) -> str:
    """The QR ticket's code: one per registration, whatever links it is sent.

    An HMAC of the registration's id under the app's signing key, so the
    registrant's view can recompute it while the database holds only its digest,
    and nobody without the key can forge one from an id. A new key gives every
    registration a new code: tickets handed out before no longer scan.
    """
    mac = hmac.new(key.encode(), b"ticket:" + registration_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def ticket_code_hash(registration_id: uuid.UUID, key: str) -> bytes:
    return digest(ticket_code(registration_id, key))


async def issue_manage_token(
    session: AsyncSession, registration: Registration, *, now: datetime
) -> str:
    """A new manage link for the registration (already flushed); its earlier links keep working.

    Only the digest is stored, so a message that carries the link needs a token
    of its own; adding one, rather than replacing the last, means nobody can void
    a registrant's link by making the service e-mail them.
    """
    token = new_token()
    session.add(
        ManageToken(registration_id=registration.id, token_hash=digest(token), created_at=now)
    )
    await session.flush()
    await _drop_surplus(session, registration.id)
    return token


async def _drop_surplus(session: AsyncSession, registration_id: uuid.UUID) -> None:
    """Keep the registration's first token and its newest ones (MANAGE_TOKENS_KEPT in all)."""
    oldest_first = select(ManageToken.id).where(ManageToken.registration_id == registration_id)
    ids = list(await session.scalars(oldest_first.order_by(ManageToken.created_at, ManageToken.id)))
    surplus = ids[1 : -(MANAGE_TOKENS_KEPT - 1)]
    if surplus:
        await session.execute(delete(ManageToken).where(ManageToken.id.in_(surplus)))
