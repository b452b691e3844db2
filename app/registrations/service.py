"""Registration rules: sign-up, the registrant's own edits and cancellation."""

import functools
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    bindparam,
    func,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.abuse.recipient_cap import WINDOW as CAP_WINDOW
from app.abuse.recipient_cap import public_cap, recipient_key
from app.events.seating import (
    Seats,
    fill_free_seats,
    next_waitlist_order,
    release_lapsed_holds,
    seats,
    seats_from,
    seats_of,
)
from app.events.service import get_event
from app.events.snapshots import SNAPSHOTS
from app.kit.db.driver import AloneConnection, DriverStatement, committing_alone
from app.kit.errors import (
    EventFull,
    InvalidToken,
    InvalidTransition,
    InvitationRequired,
    NotFound,
    OrgLimitReached,
    RegistrationClosed,
)
from app.kit.fields import SLUG_MAX_LENGTH, SLUG_PATTERN
from app.kit.secrets import digest, new_token
from app.kit.text import fold, organisation_key
from app.mail import notifications
from app.mail.headers import ascii_domain
from app.mail.outbox import Capping
from app.models import (
    ACTIVE_STATUSES,
    Access,
    Event,
    EventCounters,
    ManageToken,
    Registration,
    RegistrationStatus,
)
from app.models.waitlist import load_positions
from app.registrations.schemas import CONSENT_VERSION, RegistrationCreate, RegistrationUpdate
from app.registrations.sign_up.statements import (
    EVENT_FIELDS,
    event_row_with_counters,
    event_with_counters,
    sign_up_statement,
)
from app.tickets.code import ticket_code_hash

# How long a sign-up awaiting verification can be confirmed; then it lapses.
VERIFICATION_PERIOD = timedelta(hours=24)


@dataclass(frozen=True)
class Registered:
    registration: Registration
    manage_token: str


@dataclass(frozen=True)
class Duplicate:
    """The e-mail already holds an active registration for the event."""

    existing: Registration
    resend_after: datetime | None = None
    """None: the manage link was e-mailed again now; else when it can be asked for again."""


@dataclass(frozen=True)
class AwaitingVerification:
    """Signed up to an event with `email_verification`: nothing held until the address
    is confirmed with the e-mailed link (`app.privacy.verification`)."""

    registration: Registration


SEARCHED = ("given_name", "family_name", "email", "organisation")
"""The fields the dashboard's search matches, folded into `search_text`."""


def search_text(registration: Any) -> str:
    """The search text of a registration or an invitation."""
    return fold(" ".join(getattr(registration, name) for name in SEARCHED))


def _by_email(event: Event, email: str, *conditions: Any) -> Select[Registration]:
    """The event's registrations under `email` (case-insensitive) meeting `conditions`."""
    return (
        select(Registration)
        .options(joinedload(Registration.event))
        .where(
            Registration.event_id == event.id,
            # The database lower-cases both sides, exactly as the unique index does
            # (Python's lower() differs for some letters, such as the Turkish İ).
            func.lower(Registration.email) == func.lower(email),
            # A companion has the invitee's address, not a registration in its own name.
            Registration.companion_of.is_(None),
            *conditions,
        )
    )


async def find_active_by_email(
    session: AsyncSession, event: Event, email: str
) -> Registration | None:
    query = _by_email(event, email, Registration.status.in_(ACTIVE_STATUSES))
    return (await session.scalars(query)).first()


async def check_org_limit(
    session: AsyncSession,
    event: Event,
    key: str,
    *,
    excluding: Registration | None = None,
    adding: int = 1,
) -> None:
    """At most `max_per_organisation` active registrations per organisation, once
    `adding` more are made (an invitee with companions adds several).

    Counts at most that many rows (through the organisation index), so the check
    costs no more as the event grows.
    """
    limit = event.max_per_organisation
    if limit is None:
        return
    same = (
        select(Registration.id)
        .where(
            Registration.event_id == event.id,
            Registration.organisation_key == key,
            Registration.status.in_(ACTIVE_STATUSES),
        )
        .limit(limit)
    )
    if excluding is not None:
        same = same.where(Registration.id != excluding.id)
    taken = await session.scalar(select(func.count()).select_from(same.subquery())) or 0
    if taken + adding > limit:
        raise OrgLimitReached(
            f"This event takes at most {limit} registration(s) per organisation, "
            "and your organisation has reached it. Please contact the organisers."
        )


def initial_status(event: Event, seats: Seats) -> RegistrationStatus:
    if event.approval_required:
        return RegistrationStatus.pending_approval
    if seats.left > 0:
        return RegistrationStatus.confirmed
    if event.waitlist_enabled:
        return RegistrationStatus.waitlisted
    raise EventFull("This event is full and has no waitlist.")


_ACTIVE_BY_SLUG_AND_EMAIL = (
    select(Registration)
    .join(Event, Event.id == Registration.event_id)
    .options(contains_eager(Registration.event))
    .where(
        Event.slug == bindparam("slug"),
        func.lower(Registration.email) == func.lower(bindparam("email")),
        Registration.status.in_(ACTIVE_STATUSES),
        Registration.companion_of.is_(None),
    )
)


async def _find_active(session: AsyncSession, event_slug: str, email: str) -> Registration | None:
    """The active registration of `email` for the event, by the unique index (no lock)."""
    params = {"slug": event_slug, "email": email}
    return (await session.scalars(_ACTIVE_BY_SLUG_AND_EMAIL, params)).first()


async def _duplicate(session: AsyncSession, existing: Registration, now: datetime) -> Duplicate:
    resend_after = await notifications.manage_link_requested(
        session, registration=existing, now=now
    )
    return Duplicate(existing=existing, resend_after=resend_after)


@dataclass(frozen=True)
class _Found:
    """What the sign-up's first statement found (the event's lock taken, or not)."""

    event: Event
    seats: Seats
    capped: Capping
    existing_id: uuid.UUID | None
    """The address's active registration for the event, if it has one."""


def _address_params(session: AsyncSession, slug: str, email: str, now: datetime) -> dict[str, Any]:
    """The first statement's parameters: the slug, the address and, when the public
    causes the mail, the recipient cap's (`_recent_mail`)."""
    params: dict[str, Any] = {"slug": slug, "email": email}
    cap = public_cap(session)
    if cap is not None:
        params |= {"cap_key": _cap_key(email), "cap": cap, "cap_since": now - CAP_WINDOW}
    return params


def _cap_key(email: str) -> bytes:
    return recipient_key(ascii_domain(email))


def _capping(params: dict[str, Any], email: str, recent_mail: int | None) -> Capping:
    cap = params.get("cap")
    return Capping.of(_cap_key(email), cap=cap, recent=recent_mail or 0)


async def _read_event(
    session: AsyncSession, slug: str, *, email: str, now: datetime, lock: bool
) -> _Found:
    """The event with its counters (`lock`: its lock taken), whether `email` is
    already registered and what the recipient's cap makes of a message to it: one
    statement (a round trip saved is server and database time saved)."""
    params = _address_params(session, slug, email, now)
    statement = event_with_counters(capped="cap" in params, lock=lock)
    row = (await session.execute(statement, params)).one_or_none()
    if row is None:
        raise NotFound(f"No event with the address '{slug}'.")
    capped = _capping(params, email, row.recent_mail if "cap" in params else None)
    return _Found(row[0], seats_of(row[0], row[1]), capped, row.existing_id)


async def _peek_event(
    session: AsyncSession, alone: AloneConnection, slug: str, *, email: str, now: datetime
) -> _Found:
    """`_read_event` without the lock and without looking the address up, on the
    driver's connection: its plain row, and the event built only if its row
    changed (`app.events.snapshots`)."""
    params = _address_params(session, slug, email, now)
    statement = _driver(event_row_with_counters(capped="cap" in params), alone.dialect)
    row = await alone.fetchrow(statement, params)
    if row is None:
        raise NotFound(f"No event with the address '{slug}'.")
    event = SNAPSHOTS.event(row, EVENT_FIELDS, alone.dialect)
    capped = _capping(params, email, row["recent_mail"] if "cap" in params else None)
    # Not looked up here: the INSERT finds an active registration of the address.
    return _Found(event, seats_from(event, row), capped, existing_id=None)


@functools.cache
def _driver(statement: Select[Any], dialect: Dialect) -> DriverStatement:
    """The sign-up's statement compiled for the driver, once per statement."""
    return DriverStatement.compile(statement, dialect)


def new_registration_values(
    data: RegistrationCreate, *, now: datetime, ticket_key: str
) -> dict[str, Any]:
    """The column values of a sign-up's row, whatever its status and event: with its
    id, organisation key, search text, ticket code digest and the consent given
    now. The one place a new row's values are built."""
    # Chosen here, not at INSERT: the ticket code is derived from it.
    registration_id = uuid.uuid4()
    values = data.model_dump(exclude={"consent"}) | {
        "id": registration_id,
        "organisation_key": organisation_key(data.organisation),
        "ticket_code_hash": ticket_code_hash(registration_id, ticket_key),
        "consent_version": CONSENT_VERSION,
        "consented_at": now,
        "created_at": now,
        "updated_at": now,
    }
    values["search_text"] = fold(" ".join(values[name] for name in SEARCHED))
    return values


async def new_registration(
    session: AsyncSession,
    *,
    event: Event,
    data: RegistrationCreate,
    status: RegistrationStatus,
    now: datetime,
    ticket_key: str,
) -> Registration:
    """The row for a sign-up in `status` (not added to the session yet), at the back
    of the waitlist if waitlisted (the caller holds the event's lock)."""
    return Registration(
        **new_registration_values(data, now=now, ticket_key=ticket_key),
        event=event,
        status=status,
        waitlist_order=(
            await next_waitlist_order(session) if status == RegistrationStatus.waitlisted else None
        ),
    )


async def allocate_place(session: AsyncSession, event: Event, registration: Registration) -> None:
    """Give a newly verified registration its place, as a sign-up gets one (the caller
    holds the event's lock, so the counters are current): a seat, the waitlist's end
    or the approval queue; EventFull when none is left."""
    now_seats = await seats(session, event)
    status = initial_status(event, now_seats)
    waitlisted = status == RegistrationStatus.waitlisted
    registration.waitlist_order = await next_waitlist_order(session) if waitlisted else None
    registration.status = status
    # The back of the queue: as many waiting as the counters had, plus this one.
    registration.waitlist_position = now_seats.waitlisted + 1 if waitlisted else None


async def register(
    session: AsyncSession,
    *,
    event_slug: str,
    data: RegistrationCreate,
    now: datetime,
    ticket_key: str,
) -> Registered | Duplicate | AwaitingVerification:
    """Sign someone up: a seat while they last, then the waitlist; on an event with
    `email_verification`, a sign-up pending verification that holds nothing.

    `ticket_key` is the app's signing key, which keys the QR ticket code.

    The hot path, kept short: the row's values and the token are made first; one
    statement reads the event, its counters and, for the recipient's cap, the
    address's recent mail, without the event's lock (`_peek_event`). When that
    says a seat is the answer (a public event with seats left, nothing held, no
    approval, verification or organisation limit), one statement takes the
    lock, checks that a seat is still left and the event unchanged, and inserts
    the registration, its manage token and its e-mail (the counters and tallies
    follow by trigger); the unique index of active addresses refuses a
    duplicate there. Both statements commit alone (`app.kit.db.driver`), so the
    lock is held while PostgreSQL runs the INSERT and flushes its commit, never
    across a round trip to this process. Otherwise, or when nothing was
    inserted (no seat left, the event changed, or the address is registered
    already), the sign-up is decided in the request's transaction under the lock
    (`_register_locked`), which looks the address up first. Nothing under the
    lock costs more as the event grows.
    """
    if len(event_slug) > SLUG_MAX_LENGTH or not SLUG_PATTERN.fullmatch(event_slug):
        raise NotFound("No event has that address.")
    values = new_registration_values(data, now=now, ticket_key=ticket_key)
    token = new_token()
    async with committing_alone(session) as alone:
        found = await _peek_event(session, alone, event_slug, email=data.email, now=now)
        if _seated_at_once(found, now):
            seated = await _seat_at_once(session, alone, found, values=values, token=token, now=now)
            if seated is not None:
                return seated
    return await _register_locked(
        session, event_slug, data=data, values=values, token=token, now=now, ticket_key=ticket_key
    )


def _seated_at_once(found: _Found, now: datetime) -> bool:
    """Whether the unlocked read makes a confirmed seat the answer, with nothing
    to look up or release under the lock first."""
    event, seats = found.event, found.seats
    return (
        found.existing_id is None
        and event.registration_open_at(now)
        and event.access != Access.invitation_only
        and not event.approval_required
        and not event.email_verification
        and event.max_per_organisation is None
        and seats.held == 0
        and seats.left > 0
    )


async def _register_locked(
    session: AsyncSession,
    event_slug: str,
    *,
    data: RegistrationCreate,
    values: dict[str, Any],
    token: str,
    now: datetime,
    ticket_key: str,
) -> Registered | Duplicate | AwaitingVerification:
    """The sign-up decided under the event's lock, taken by its first statement."""
    found = await _read_event(session, event_slug, email=data.email, now=now, lock=True)
    event, seats = found.event, found.seats
    if not event.registration_open_at(now):
        raise RegistrationClosed("Registration for this event is not open.")
    if found.existing_id is not None:
        registered = await session.get_one(
            Registration, found.existing_id, options=[joinedload(Registration.event)]
        )
        return await _duplicate(session, registered, now)
    if event.access == Access.invitation_only:
        raise InvitationRequired("This event is by invitation only.")
    if seats.held and await release_lapsed_holds(session, event=event, now=now):
        # Invitations past their deadline held seats: now free (the waitlist first).
        counters = await session.get_one(EventCounters, event.id, populate_existing=True)
        found = replace(found, seats=seats_of(event, counters))
    if event.email_verification:
        return await _sign_up_unverified(session, event, data, now=now, ticket_key=ticket_key)
    await check_org_limit(session, event, values["organisation_key"])
    return await _insert(session, found, values=values, token=token, now=now)


@dataclass(frozen=True)
class _SignUp:
    """A sign-up's registration (not in any session) and its one statement's
    parameters; `sign_up_statement` with `columns` and `message_columns`."""

    registration: Registration
    params: dict[str, Any]
    columns: tuple[str, ...]
    message_columns: tuple[str, ...]


def _sign_up(
    session: AsyncSession, found: _Found, *, values: dict[str, Any], token: str, now: datetime
) -> _SignUp:
    """The registration with the status the seats give, its e-mail's outbox row and
    the parameters that insert them with the manage token."""
    event, seats = found.event, found.seats
    status = initial_status(event, seats)
    registration = Registration(**values, status=status)
    # Set after construction, so the transient row is not cascaded into the session.
    set_committed_value(registration, "event", event)
    set_committed_value(registration, "event_id", event.id)
    if status == RegistrationStatus.waitlisted:
        # The back of the queue: as many waiting as the counters had, plus this one.
        registration.waitlist_position = seats.waitlisted + 1
    message = notifications.received_message(
        session, registration=registration, manage_token=token, now=now, capped=found.capped
    )
    columns = values | {"event_id": event.id, "status": status}
    params = {f"r_{name}": value for name, value in columns.items()}
    params |= {f"m_{name}": value for name, value in message.items()}
    params["token_hash"] = digest(token)
    return _SignUp(registration, params, tuple(columns), tuple(message))


async def _seat_at_once(
    session: AsyncSession,
    alone: AloneConnection,
    found: _Found,
    *,
    values: dict[str, Any],
    token: str,
    now: datetime,
) -> Registered | None:
    """Insert a confirmed sign-up, its manage token and its e-mail in one statement
    that commits alone, if it still takes a seat (`sign_up_statement`, `at_once`).
    None when no seat was taken (the event changed or filled since it was read)
    or the address was registered meanwhile: then nothing was written."""
    sign_up = _sign_up(session, found, values=values, token=token, now=now)
    statement = sign_up_statement(sign_up.columns, sign_up.message_columns, at_once=True)
    params = sign_up.params | {"seen_updated_at": found.event.updated_at}
    row = await alone.fetchrow(_driver(statement, alone.dialect), params)
    if row is None or not row["seated"] or row["signup_seq"] is None:
        return None
    set_committed_value(sign_up.registration, "signup_seq", row["signup_seq"])
    set_committed_value(sign_up.registration, "waitlist_order", None)
    return Registered(registration=sign_up.registration, manage_token=token)


async def _insert(
    session: AsyncSession, found: _Found, *, values: dict[str, Any], token: str, now: datetime
) -> Registered | Duplicate:
    """Insert the sign-up with the status the seats give (the caller holds the
    event's lock), its manage token and its e-mail in one statement; a Duplicate
    when the address was registered meanwhile."""
    sign_up = _sign_up(session, found, values=values, token=token, now=now)
    registration = sign_up.registration
    statement = sign_up_statement(
        sign_up.columns,
        sign_up.message_columns,
        waitlisted=registration.status == RegistrationStatus.waitlisted,
    )
    # On the session's connection: a Core statement needs none of the ORM's execution.
    connection = await session.connection()
    row = (await connection.execute(statement, sign_up.params)).one_or_none()
    if row is None or row.signup_seq is None:
        # Signed up meanwhile: by a request that committed after the look-up (or
        # while this one waited for the lock).
        existing = await _find_active(session, found.event.slug, registration.email)
        if existing is None:
            raise RuntimeError("a sign-up conflicted with no active registration")
        return await _duplicate(session, existing, now)
    set_committed_value(registration, "signup_seq", row.signup_seq)
    set_committed_value(registration, "waitlist_order", row.waitlist_order)
    return Registered(registration=registration, manage_token=token)


def verification_lapses_at(registration: Registration) -> datetime:
    return registration.created_at + VERIFICATION_PERIOD


async def find_awaiting_verification(
    session: AsyncSession, event: Event, email: str, *, now: datetime
) -> Registration | None:
    """The address's newest sign-up to `event` still awaiting verification, if any."""
    query = _by_email(
        event,
        email,
        Registration.status == RegistrationStatus.pending_verification,
        Registration.created_at > now - VERIFICATION_PERIOD,
    ).order_by(Registration.created_at.desc())
    return (await session.scalars(query)).first()


async def _sign_up_unverified(
    session: AsyncSession, event: Event, data: RegistrationCreate, *, now: datetime, ticket_key: str
) -> AwaitingVerification:
    """A sign-up that holds nothing yet; its address gets the link that confirms it.

    Signing up again while one awaits verification sends its link again (within
    the recipient's cap) rather than adding a second, so repeating the form never
    piles up rows; the answer is the same either way.
    """
    pending = await find_awaiting_verification(session, event, data.email, now=now)
    if pending is not None:
        await notifications.verification_requested(session, registration=pending, now=now)
        return AwaitingVerification(registration=pending)
    registration = await new_registration(
        session,
        event=event,
        data=data,
        status=RegistrationStatus.pending_verification,
        now=now,
        ticket_key=ticket_key,
    )
    session.add(registration)
    await session.flush()
    await notifications.verification_requested(session, registration=registration, now=now)
    return AwaitingVerification(registration=registration)


async def get_by_token(
    session: AsyncSession, token: str, *, reload: bool = False, position: bool = True
) -> Registration:
    """The registration the token opens, with its waitlist position (pass `position=False`
    under the event's lock: the position is a count, not read there)."""
    query = (
        select(Registration)
        .join(ManageToken, ManageToken.registration_id == Registration.id)
        .options(joinedload(Registration.event, innerjoin=True))
        .where(ManageToken.token_hash == digest(token))
        .execution_options(populate_existing=reload)
    )
    registration = (await session.scalars(query)).one_or_none()
    if registration is None:
        raise InvalidToken("This link is not valid. Please use the link from your latest e-mail.")
    if position:
        await load_positions(session, [registration])
    return registration


def _ensure_active(registration: Registration) -> None:
    if not registration.is_active:
        raise InvalidTransition(f"This registration is {registration.status} and can't be changed.")


async def lock_for_change(session: AsyncSession, token: str) -> tuple[Event, Registration]:
    """Lock the event (seat changes are serialised on it), then re-read the registration."""
    registration = await get_by_token(session, token, position=False)
    event = await get_event(session, registration.event.slug, lock=True)
    registration = await get_by_token(session, token, reload=True, position=False)
    _ensure_active(registration)
    return event, registration


async def update_registration(
    session: AsyncSession, *, token: str, changes: RegistrationUpdate, now: datetime
) -> Registration:
    """The registrant's own edit. Seats do not move, so the event's lock is taken only
    when a new organisation must be checked against `max_per_organisation`."""
    values = changes.changes()
    registration = await get_by_token(session, token)
    key = organisation_key(values["organisation"]) if "organisation" in values else None
    checks_limit = (
        key is not None
        and key != registration.organisation_key
        and registration.event.max_per_organisation is not None
    )
    if checks_limit:
        event, registration = await lock_for_change(session, token)
        assert key is not None
        await check_org_limit(session, event, key, excluding=registration)
    else:
        registration = await _lock_registration(session, registration)
        _ensure_active(registration)
    if key is not None:
        registration.organisation_key = key
    for field, value in values.items():
        setattr(registration, field, value)
    registration.search_text = search_text(registration)
    registration.updated_at = now
    await session.flush()
    if not checks_limit:
        await load_positions(session, [registration])
    return registration


async def _lock_registration(session: AsyncSession, registration: Registration) -> Registration:
    """The registration's own row, locked and re-read (an edit racing a cancellation)."""
    query = (
        select(Registration)
        .options(joinedload(Registration.event, innerjoin=True))
        .where(Registration.id == registration.id)
        .with_for_update(of=Registration)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one()


async def cancel_registration(
    session: AsyncSession, *, registration: Registration, event: Event, now: datetime
) -> list[Registration]:
    """Cancel, with the registrant's companions (an invitee's guests, who come with
    them); freed seats (theirs, or one offered to them) go to the waitlist at once.
    Returns those promoted."""
    companions = await active_companions(session, registration)
    freed = False
    for one in [registration, *companions]:
        was = one.status
        freed = freed or was == RegistrationStatus.confirmed or one.holds_offer
        one.status = RegistrationStatus.cancelled
        one.waitlist_order = None
        one.offer_expires_at = None
        one.updated_at = now
        await session.flush()
        if one is registration:
            await notifications.status_changed(session, registration=one, previous=was, now=now)
    if freed:
        return await fill_free_seats(session, event=event, now=now)
    return []


async def companions_of(session: AsyncSession, registration: Registration) -> list[Registration]:
    """An invitee's companions (their named guests), in the order they were named.

    Only a registration that answered an invitation can have any: others cost no query.
    """
    if registration.invitation_id is None or registration.companion_of is not None:
        return []
    query = (
        select(Registration)
        .options(joinedload(Registration.event, innerjoin=True))
        .where(Registration.companion_of == registration.id)
        .order_by(Registration.signup_seq)
    )
    return list(await session.scalars(query))


async def active_companions(
    session: AsyncSession, registration: Registration
) -> list[Registration]:
    return [one for one in await companions_of(session, registration) if one.is_active]


def ensure_self_cancellable(registration: Registration) -> None:
    """A registrant may cancel themselves until they have checked in (their seat is in use)."""
    if registration.checked_in_at is not None:
        raise InvalidTransition(
            "You have checked in at the event, so your registration can no longer be "
            "cancelled. If you are leaving, please tell the organisers.",
            stage="checked_in",
            checked_in_at=registration.checked_in_at.isoformat(),
        )


async def cancel_by_token(session: AsyncSession, *, token: str, now: datetime) -> Registration:
    event, registration = await lock_for_change(session, token)
    ensure_self_cancellable(registration)
    await cancel_registration(session, registration=registration, event=event, now=now)
    return registration
