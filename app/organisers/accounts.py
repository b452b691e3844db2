"""Organiser accounts.

argon2 takes about 100 ms of CPU by design: hashing and verifying run in a worker
thread, so the event loop keeps serving other requests meanwhile.
"""

import asyncio
from datetime import datetime

from email_validator import validate_email
from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.kit.db import flush_or_conflict
from app.models import Organiser, OrganiserRole
from app.organisers.passwords import check_strength, hash_password, verify_password


def normalise_email(email: str) -> str:
    return email.strip().lower()


def checked_email(email: str) -> str:
    """The address normalised; raises EmailNotValidError (a ValueError) when it is not one."""
    return normalise_email(validate_email(email.strip(), check_deliverability=False).normalized)


async def any_organiser(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(exists().select_from(Organiser))))


async def create_organiser(
    session: AsyncSession,
    *,
    email: str,
    role: OrganiserRole,
    password: str,
    now: datetime,
    created_by: Organiser | None = None,
) -> Organiser:
    """Create an account; raises ValueError (weak password, bad address) or Conflict (taken)."""
    email = checked_email(email)
    check_strength(password, email=email)
    password_hash = await asyncio.to_thread(hash_password, password)
    organiser = Organiser(email=email, role=role, password_hash=password_hash, created_at=now)
    session.add(organiser)
    await flush_or_conflict(session, f"An organiser with the e-mail {email} exists already.")
    await audit.record(
        session,
        actor=created_by,
        action="organiser.create",
        target_type="organiser",
        target_id=organiser.id,
        before={},
        after={"email": email, "role": str(role)},
        now=now,
    )
    return organiser


async def authenticate(session: AsyncSession, *, email: str, password: str) -> Organiser | None:
    """The organiser with these credentials, or None (after the same work either way)."""
    address = normalise_email(email)
    # No account has an address with a NUL (PostgreSQL text cannot hold one): such a
    # sign-in is refused like any unknown address, not sent to the database.
    organiser = (
        None
        if "\x00" in address
        else (
            await session.scalars(select(Organiser).where(func.lower(Organiser.email) == address))
        ).one_or_none()
    )
    password_hash = organiser.password_hash if organiser else None
    if not await asyncio.to_thread(verify_password, password, password_hash) or organiser is None:
        return None
    return organiser
