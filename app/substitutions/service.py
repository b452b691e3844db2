"""A registrant passes their place to a colleague: the seat changes hands, nobody moves.

The original registration is cancelled and the substitute's takes its place as
it stands: a confirmed seat stays confirmed, a waitlist place keeps its order
(the substitute inherits `waitlist_order`, so nobody behind moves), and a
registration awaiting approval stays awaiting it (the organisers then decide on
the substitute). No seat is freed, so the waitlist is not promoted.

The substitute is the original's organisation's (the organisation is kept, so
`max_per_organisation` cannot be passed by it), skips e-mail verification (a
registrant with a manage link vouches for them; each gets their own link and
the per-recipient cap applies to both messages), and may be made after
registration has closed: a late substitute is what the security list's late
sheet is for. Who replaced whom is in the substitute's `substitute_for` and in
the audit log.

Under the event's lock (taken once) the work is fixed: one UPDATE, one INSERT,
the manage token, two outbox rows and the audit entry; the counters follow by
trigger (confirmed -1 +1, cancelled +1). The substitute's waitlist position is
read before the lock, never counted under it.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.audit import service as audit
from app.kit.errors import AlreadyRegistered, InvalidTransition
from app.kit.secrets import new_token
from app.mail import notifications
from app.mail.manage_links import add_manage_token
from app.models import UNIQUE_ACTIVE_SQL, Registration, RegistrationStatus
from app.registrations.service import (
    companions_of,
    ensure_self_cancellable,
    find_active_by_email,
    get_by_token,
    lock_for_change,
    new_registration_values,
)
from app.substitutions.schemas import SubstituteCreate

_DUPLICATE = (
    "This e-mail address is already registered for this event, so it cannot take "
    "this place. Please name a colleague who is not registered yet."
)


@dataclass(frozen=True)
class Substituted:
    original: Registration
    """Now cancelled."""
    substitute: Registration
    manage_token: str
    """The substitute's own manage link's token."""


async def substitute(
    session: AsyncSession,
    *,
    token: str,
    data: SubstituteCreate,
    now: datetime,
    ticket_key: str,
) -> Substituted:
    """Pass the place of the registration that `token` opens to the colleague in `data`.

    409 `invalid_transition` unless the registration is active and not checked
    in, or while it brings guests (an invitee's companions are theirs to bring:
    removed first, they cannot be left on a cancelled registration); 409
    `already_registered` when the colleague's address already has an active
    registration for the event (the registrant's own included).
    """
    # Before the lock: the original (with its waitlist position, a count), the
    # duplicate look-up (one index probe), the new row's values and token.
    before = await get_by_token(session, token)
    if not before.is_active:
        raise InvalidTransition(f"This registration is {before.status} and can't be passed on.")
    ensure_self_cancellable(before)
    if any(guest.is_active for guest in await companions_of(session, before)):
        raise InvalidTransition(
            "This registration brings guests: remove them from your registration's page"
            " before passing your place on, or ask the organisers to invite your colleague."
        )
    position = before.known_waitlist_position
    if await find_active_by_email(session, before.event, data.email) is not None:
        raise AlreadyRegistered(_DUPLICATE)
    values = new_registration_values(
        data.for_organisation(before.organisation), now=now, ticket_key=ticket_key
    )
    manage_token = new_token()

    event, original = await lock_for_change(session, token)
    ensure_self_cancellable(original)
    status, order = original.status, original.waitlist_order
    original.status = RegistrationStatus.cancelled
    original.waitlist_order = None
    original.updated_at = now
    # The original leaves its place (and the waitlist) before the substitute takes it.
    await session.flush()
    inserted = await session.execute(
        pg_insert(Registration)
        .values(
            **values,
            event_id=event.id,
            status=status,
            waitlist_order=order,
            substitute_for=original.id,
        )
        # The partial unique index settles an address signed up since the look-up.
        .on_conflict_do_nothing(
            index_elements=[Registration.event_id, func.lower(Registration.email)],
            index_where=text(UNIQUE_ACTIVE_SQL),
        )
        .returning(Registration.signup_seq)
    )
    row = inserted.one_or_none()
    if row is None:
        raise AlreadyRegistered(_DUPLICATE)
    taken = Registration(
        **values,
        status=status,
        waitlist_order=order,
        substitute_for=original.id,
        signup_seq=row.signup_seq,
    )
    # Set after construction, so the transient row is not cascaded into the session.
    set_committed_value(taken, "event", event)
    set_committed_value(taken, "event_id", event.id)
    if status == RegistrationStatus.waitlisted:
        # The original's place, as read before the lock.
        taken.waitlist_position = position
    await add_manage_token(session, taken.id, manage_token, now=now)
    await notifications.substituted(
        session, original=original, substitute=taken, manage_token=manage_token, now=now
    )
    await audit.record(
        session,
        actor=None,
        anonymous_actor=audit.REGISTRANT_ACTOR,
        action="registration.substitute",
        target_type="registration",
        target_id=original.id,
        event_id=event.id,
        before=audit.as_json({"status": status}),
        after=audit.as_json(
            {
                "status": original.status,
                "substitute_id": taken.id,
                "substitute_status": status,
            }
        ),
        now=now,
    )
    return Substituted(original=original, substitute=taken, manage_token=manage_token)
