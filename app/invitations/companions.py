"""An invitee's companions: removing one alone (cancelling the invitee cancels them all,
`app.registrations.service.cancel_registration`)."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.errors import InvalidTransition, NotFound
from app.models import Registration
from app.registrations.service import (
    cancel_registration,
    companions_of,
    ensure_self_cancellable,
    lock_for_change,
)


async def cancel_companion(
    session: AsyncSession, *, token: str, companion_id: uuid.UUID, now: datetime
) -> tuple[Registration, list[Registration]]:
    """Cancel one companion of the invitee whose manage token this is; its seat goes to
    the waitlist. Returns the invitee and all their companions (as they now stand)."""
    event, invitee = await lock_for_change(session, token)
    listed = await companions_of(session, invitee)
    companion = next((one for one in listed if one.id == companion_id), None)
    if companion is None:
        raise NotFound("This registration has no companion with that id.")
    if not companion.is_active:
        raise InvalidTransition(
            f"This companion's registration is {companion.status} and can't be changed.",
            status=str(companion.status),
        )
    ensure_self_cancellable(companion)
    await cancel_registration(session, registration=companion, event=event, now=now)
    return invitee, listed
