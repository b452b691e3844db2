"""The sender: claims due outbox rows, renders and sends them, records what happened."""

import asyncio
import logging
import signal
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from app.config import Settings
from app.kit.clock import Clock, SystemClock
from app.kit.db import create_engine, create_sessionmaker, resolve_database_url
from app.kit.db_errors import backoff_seconds, explain
from app.kit.secrets import signing_key
from app.mail.calendar import build_calendar
from app.mail.compose import CalendarFile, Letter, compose
from app.mail.headers import UnsafeHeaders, check_headers, needs_smtputf8
from app.mail.invitations.letters import load_invitations, render_invitation
from app.mail.outbox import Claimed, Pending, claim_due, renew_claim, settle
from app.mail.transport import DeliveryError, Envelope, Transport, transport_for
from app.models import (
    Broadcast,
    Invitation,
    InvitationStatus,
    MailKind,
    Registration,
    RegistrationStatus,
)
from app.models.waitlist import load_positions
from app.tickets.code import ticket_code

log = logging.getLogger(__name__)

BATCH_SIZE = 20

Chores = Callable[[async_sessionmaker[AsyncSession], datetime], Awaitable[None]]
"""Upkeep the worker does now and then besides sending: given the sessionmaker and now."""

Duties = Callable[[async_sessionmaker[AsyncSession], datetime], Awaitable[int]]
"""What the worker does at every poll besides sending, before it (due scheduled jobs,
lapsed offers: `app.privacy.housekeeping.due_work`); returns how much it did (0: nothing due)."""


@dataclass(frozen=True)
class Periodic:
    """A job the worker runs every `every_seconds` besides sending (housekeeping,
    expiring invitations past their deadline), apart from the sending itself: its
    failure is logged and does not stop the sending."""

    every_seconds: float
    run: Chores


# Rendering: queued rows become messages here, when the sender sends them (not in
# the request). The registrations of a claimed batch are loaded in one query
# (`load_recipients`, and the broadcasts they carry: `load_broadcasts`), then each
# message (text, HTML, `.ics`) is rendered just before it is sent. The Message-ID
# was fixed when the row was queued, so a row rendered again after a crash is the
# same message.


Recipients = dict[uuid.UUID, Registration | Invitation]
"""What a batch's messages are about, by id: registrations, and invitations."""


async def load_recipients(session: AsyncSession, batch: Sequence[Claimed]) -> Recipients:
    """The registrations and invitations (events loaded) the batch's messages are about,
    by id, registrations with their current waitlist positions (for waitlist messages
    that did not store one)."""
    invited = {row.what.invitation_id for row in batch if row.what and row.what.invitation_id}
    found: Recipients = dict(await load_invitations(session, invited))
    ids = {row.what.registration_id for row in batch if row.what and row.what.registration_id}
    if not ids:
        return found
    query = (
        select(Registration)
        .options(joinedload(Registration.event, innerjoin=True))
        .where(Registration.id.in_(ids))
    )
    registrations = list(await session.scalars(query))
    await load_positions(session, registrations)
    return found | {registration.id: registration for registration in registrations}


async def load_broadcasts(
    session: AsyncSession, batch: Sequence[Claimed]
) -> dict[uuid.UUID, Broadcast]:
    """The broadcasts (subject and body) the batch's broadcast messages carry, by id."""
    ids = {row.what.broadcast_id for row in batch if row.what and row.what.broadcast_id}
    if not ids:
        return {}
    query = select(Broadcast).where(Broadcast.id.in_(ids))
    return {broadcast.id: broadcast for broadcast in await session.scalars(query)}


def render(
    row: Claimed,
    recipients: Recipients,
    *,
    settings: Settings,
    now: datetime,
    broadcasts: Mapping[uuid.UUID, Broadcast] | None = None,
) -> bytes:
    """The RFC 5322 message of `row`, without Date (added as it is sent)."""
    if row.body is not None:
        return row.body
    what = row.what
    assert what is not None
    if what.invitation_id is not None:
        return _as_bytes(_invitation_message(what, recipients, settings=settings, now=now), row)
    registration = recipients.get(what.registration_id) if what.registration_id else None
    if not isinstance(registration, Registration):
        raise DeliveryError("its registration no longer exists", permanent=True)
    if registration.erased_at is not None:
        # Erasure suppresses its unsent rows; one claimed before that is not sent either.
        raise DeliveryError("its registration was erased", permanent=True)
    if (obsolete := no_longer_due(what.kind, registration, now)) is not None:
        raise Obsolete(obsolete)
    language = what.language or registration.language.value
    manage_url = (
        f"{settings.base_url}/r/{what.manage_token}?lang={language}" if what.manage_token else None
    )
    offer_links = (
        (
            f"{settings.base_url}/r/{what.manage_token}/accept-offer?lang={language}",
            f"{settings.base_url}/r/{what.manage_token}/decline-offer?lang={language}",
        )
        if what.kind == MailKind.offer and what.manage_token
        else None
    )
    calendar = None
    if what.calendar_method is not None:
        data = build_calendar(
            event=registration.event,
            registration=registration,
            base_url=settings.base_url,
            mail_from=settings.mail_from,
            manage_url=manage_url,
            now=now,
            method=what.calendar_method,
        )
        calendar = CalendarFile(data=data, method=what.calendar_method)
    letter = Letter(
        kind=what.kind,
        registration=registration,
        manage_url=manage_url,
        calendar=calendar,
        language=language,
        position=what.waitlist_position or registration.waitlist_position,
        offer_links=offer_links,
        broadcast=_broadcast_of(what, broadcasts or {}),
        # Keyed like the registrant's view and the check-in desk: the process's signing key.
        ticket_code=(
            ticket_code(registration.id, signing_key(settings))
            if registration.status == RegistrationStatus.confirmed
            else None
        ),
    )
    return _as_bytes(compose(letter, sender=settings.mail_from, message_id=what.message_id), row)


def _invitation_message(
    what: Pending, recipients: Recipients, *, settings: Settings, now: datetime
) -> EmailMessage:
    assert what.invitation_id is not None
    invitation = recipients.get(what.invitation_id)
    if not isinstance(invitation, Invitation):
        raise DeliveryError("its invitation no longer exists", permanent=True)
    reminder = what.kind == MailKind.invitation_reminder
    if reminder and (obsolete := no_longer_awaited(invitation, now)) is not None:
        raise Obsolete(obsolete)
    invitations = {key: one for key, one in recipients.items() if isinstance(one, Invitation)}
    return render_invitation(
        invitation,
        invitations,
        kind=what.kind,
        language=what.language,
        rsvp_token=what.rsvp_token,
        base_url=settings.base_url,
        sender=settings.mail_from,
        message_id=what.message_id,
    )


def _as_bytes(message: EmailMessage, row: Claimed) -> bytes:
    # Headers stay ASCII (RFC 2047) unless the address itself cannot.
    utf8 = needs_smtputf8(row.recipient)
    return message.as_bytes(policy=policy.SMTPUTF8 if utf8 else policy.SMTP)


class Obsolete(Exception):
    """The message no longer applies (a reminder after the start, an offer no longer
    open): recorded `suppressed`, never sent."""


def no_longer_due(kind: MailKind, registration: Registration, now: datetime) -> str | None:
    """Why a scheduled reminder or an offer, queued earlier, must not go out now (None: it
    may). Checked as it is sent, so whatever happened since it was queued (a
    cancellation, a call-off, the start, the offer answered or lapsed) holds it back."""
    event = registration.event
    if kind == MailKind.reminder:
        if event.cancelled_at is not None:
            return "not sent: the event was called off"
        if now >= event.starts_at:
            return "not sent: the event has started"
        if registration.status != RegistrationStatus.confirmed:
            return "not sent: the registration is no longer confirmed"
    if kind == MailKind.offer:
        expires = registration.offer_expires_at
        if not registration.holds_offer or expires is None or expires <= now:
            return "not sent: the offer is no longer open"
        if now >= event.starts_at or event.cancelled_at is not None:
            return "not sent: the event has started or was called off"
    return None


def no_longer_awaited(invitation: Invitation, now: datetime) -> str | None:
    """Why a reminder to answer `invitation`, queued earlier, must not go out now (None:
    it may): it was answered, revoked or lapsed, or the event was called off or began."""
    if invitation.event.cancelled_at is not None:
        return "not sent: the event was called off"
    if now >= invitation.event.starts_at:
        return "not sent: the event has started"
    if invitation.status != InvitationStatus.pending:
        return f"not sent: the invitation is {invitation.status}"
    if now >= invitation.respond_by:
        return "not sent: the deadline to answer has passed"
    return None


def _broadcast_of(what: Pending, broadcasts: Mapping[uuid.UUID, Broadcast]) -> Broadcast | None:
    if what.broadcast_id is None:
        return None
    if (broadcast := broadcasts.get(what.broadcast_id)) is None:
        raise DeliveryError("its broadcast no longer exists", permanent=True)
    return broadcast


def _envelope(row: Claimed, message: bytes, *, sender: str, clock: Clock) -> Envelope:
    # The Date header is the moment of sending, not of queueing.
    date = f"Date: {format_datetime(clock.now())}\r\n".encode()
    return Envelope(
        sender=sender,
        recipient=row.recipient,
        data=date + message,
        subject=row.subject,
        name=str(row.id),
    )


async def _send(
    row: Claimed,
    transport: Transport,
    *,
    recipients: Recipients,
    broadcasts: Mapping[uuid.UUID, Broadcast],
    sender: str,
    settings: Settings,
    clock: Clock,
) -> tuple[str | None, bool, bool]:
    """Render and send one message: (the error, whether it is permanent, whether the
    message was dropped as no longer due); no error when it was sent."""
    try:
        message = render(row, recipients, settings=settings, now=clock.now(), broadcasts=broadcasts)
        envelope = _envelope(row, message, sender=sender, clock=clock)
        check_headers(envelope.data)
        await transport.send(envelope)
    except Obsolete as exc:
        return str(exc), False, True
    except UnsafeHeaders as exc:
        # Never sent: trying again would build the same bytes.
        return f"not sent, unsafe headers: {exc}", True, False
    except DeliveryError as exc:
        return exc.reason, exc.permanent, False
    except Exception as exc:
        # A fault of ours, not the relay's: count the attempt and try again later
        # (the row is neither left claimed nor allowed to stop the batch).
        log.exception("mail %s to %s: unexpected error", row.id, row.recipient)
        await transport.close()  # a dialogue cut short: start the next one afresh
        return f"{type(exc).__name__}: {exc}", False, False
    return None, False, False


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    transport: Transport,
    *,
    settings: Settings,
    clock: Clock,
) -> int:
    """Claim one batch of due messages and try each once; returns how many were claimed."""
    async with sessionmaker() as session, session.begin():
        batch = await claim_due(
            session,
            now=clock.now(),
            lease=timedelta(seconds=settings.mail_lease_seconds),
            limit=BATCH_SIZE,
        )
        recipients = await load_recipients(session, batch)
        broadcasts = await load_broadcasts(session, batch)
    sender = parseaddr(settings.mail_from)[1]
    lease = timedelta(seconds=settings.mail_lease_seconds)
    try:
        for claimed in batch:
            # One transaction from the renewal to the settling: the row stays locked
            # while it is sent, so an erasure (which locks its person's pending rows
            # first) waits for a message in flight, and none is sent after it.
            async with sessionmaker() as session, session.begin():
                row = await renew_claim(session, claimed, now=clock.now(), lease=lease)
                if row is None:
                    log.info(
                        "mail %s: its claim ran out, or it was withdrawn, meanwhile", claimed.id
                    )
                    continue
                error, permanent, dropped = await _send(
                    row,
                    transport,
                    recipients=recipients,
                    broadcasts=broadcasts,
                    sender=sender,
                    settings=settings,
                    clock=clock,
                )
                # Settled one by one, so a worker that dies re-sends at most the
                # message it was on (at least once), and loses none.
                state = await settle(
                    session,
                    row,
                    now=clock.now(),
                    error=error,
                    permanent=permanent,
                    dropped=dropped,
                    max_attempts=settings.mail_max_attempts,
                )
            if error is not None:
                log.warning("mail %s to %s: %s (%s)", row.id, row.recipient, error, state)
    finally:
        await transport.close()
    return len(batch)


def _failure(exc: Exception, sessionmaker: async_sessionmaker[AsyncSession]) -> str | None:
    """A database failure in one line, or None for another fault (a bug)."""
    bind = sessionmaker.kw.get("bind")
    url = getattr(bind, "url", None)
    return explain(exc, url) if url is not None else None


async def run_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    transport: Transport,
    *,
    settings: Settings,
    clock: Clock,
    stop: asyncio.Event,
    periodic: Sequence[Periodic] = (),
    duties: Duties | None = None,
) -> None:
    """Send until `stop` is set; between empty polls, wait `mail_poll_seconds`.
    At every poll, first do `duties` (what the scheduler has due, whose messages
    are then sent in the same poll), and each `periodic` job at its own interval
    (`app.privacy.housekeeping.HOUSEKEEPING`, `app.invitations.expiry.EXPIRY`).

    A poll that fails (the database unreachable or restarting) is logged in one line,
    and the worker tries again after an exponential back-off (`backoff_seconds`); it
    says so when the database answers again. A fault that is not the database's gets
    its traceback logged the first time in a row.
    """
    log.info("e-mail worker started")
    failures = 0
    periodic_due = [0.0] * len(periodic)
    while not stop.is_set():
        for n, job in enumerate(periodic):
            if time.monotonic() >= periodic_due[n]:
                periodic_due[n] = time.monotonic() + job.every_seconds
                await _run_periodic(job, sessionmaker, clock)
        try:
            done = await duties(sessionmaker, clock.now()) if duties is not None else 0
            claimed = await deliver_due(sessionmaker, transport, settings=settings, clock=clock)
        except Exception as exc:
            failures += 1
            delay = backoff_seconds(failures, first=settings.mail_poll_seconds)
            told = _failure(exc, sessionmaker)
            if told is None and failures == 1:
                log.exception("e-mail worker: batch failed; trying again in %.3g s", delay)
            else:
                reason = told or f"{type(exc).__name__}: {exc}"
                log.warning(
                    "e-mail worker: poll failed (%d in a row; next try in %.3g s): %s",
                    failures,
                    delay,
                    reason,
                )
                log.debug("e-mail worker: the failure's traceback", exc_info=True)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            continue
        if failures:
            log.info("e-mail worker: working again after %d failed polls", failures)
            failures = 0
        if claimed == 0 and done == 0:
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.mail_poll_seconds)
    log.info("e-mail worker stopped")


async def _run_periodic(
    job: Periodic, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    try:
        await job.run(sessionmaker, clock.now())
    except Exception as exc:
        told = _failure(exc, sessionmaker)
        if told is None:
            log.exception("e-mail worker: periodic job %s failed", job.run.__qualname__)
        else:
            log.warning("e-mail worker: periodic job %s failed: %s", job.run.__qualname__, told)


async def serve_worker(
    settings: Settings,
    *,
    periodic: Sequence[Periodic] = (),
    duties: Duties | None = None,
) -> None:
    """`rsvp worker`: a sender of its own, stopped cleanly by SIGTERM or SIGINT."""
    engine = create_engine(resolve_database_url(settings), pool_size=2)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await run_worker(
            create_sessionmaker(engine, settings=settings),
            transport_for(settings),
            settings=settings,
            clock=SystemClock(),
            stop=stop,
            periodic=periodic,
            duties=duties,
        )
    finally:
        await engine.dispose()
