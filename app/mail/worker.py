"""The sender: claims due outbox rows, sends them, records what happened."""

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, timedelta
from email.utils import format_datetime, parseaddr

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import Clock, SystemClock
from app.kit.db import create_engine, create_sessionmaker, resolve_database_url
from app.kit.db_errors import backoff_seconds, explain
from app.mail.headers import UnsafeHeaders, check_headers
from app.mail.outbox import Claimed, claim_due, renew_claim, settle
from app.mail.transport import DeliveryError, Envelope, Transport, transport_for

log = logging.getLogger(__name__)

BATCH_SIZE = 20

Chores = Callable[[async_sessionmaker[AsyncSession], datetime], Awaitable[None]]
"""Upkeep the worker does now and then besides sending: given the sessionmaker and now."""
CHORES_INTERVAL_SECONDS = 300.0


def _envelope(row: Claimed, *, sender: str, clock: Clock) -> Envelope:
    # The Date header is the moment of sending, not of queueing.
    date = f"Date: {format_datetime(clock.now())}\r\n".encode()
    return Envelope(
        sender=sender,
        recipient=row.recipient,
        data=date + row.body,
        subject=row.subject,
        name=str(row.id),
    )


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
    sender = parseaddr(settings.mail_from)[1]
    lease = timedelta(seconds=settings.mail_lease_seconds)
    try:
        for claimed in batch:
            async with sessionmaker() as session, session.begin():
                row = await renew_claim(session, claimed, now=clock.now(), lease=lease)
            if row is None:
                log.info("mail %s: its claim ran out and another worker took it over", claimed.id)
                continue
            error: str | None = None
            permanent = False
            try:
                envelope = _envelope(row, sender=sender, clock=clock)
                check_headers(envelope.data)
                await transport.send(envelope)
            except UnsafeHeaders as exc:
                # Never sent: trying again would build the same bytes.
                error, permanent = f"not sent, unsafe headers: {exc}", True
            except DeliveryError as exc:
                error, permanent = exc.reason, exc.permanent
            except Exception as exc:
                # A fault of ours, not the relay's: count the attempt and try again
                # later (the row is neither left claimed nor allowed to stop the batch).
                log.exception("mail %s to %s: unexpected error", row.id, row.recipient)
                error = f"{type(exc).__name__}: {exc}"
                await transport.close()  # a dialogue cut short: start the next one afresh
            # Settled one by one, so a worker that dies re-sends at most the message
            # it was on (at least once), and loses none.
            async with sessionmaker() as session, session.begin():
                state = await settle(
                    session,
                    row,
                    now=clock.now(),
                    error=error,
                    permanent=permanent,
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
    chores: Chores | None = None,
) -> None:
    """Send until `stop` is set; between empty batches, wait `mail_poll_seconds`.
    Every CHORES_INTERVAL_SECONDS, run `chores` too (`app.privacy.housekeeping.housekeep`).

    A poll that fails (the database unreachable or restarting) is logged in one line,
    and the worker tries again after an exponential back-off (`backoff_seconds`); it
    says so when the database answers again. A fault that is not the database's gets
    its traceback logged the first time in a row.
    """
    log.info("e-mail worker started")
    failures = 0
    chores_due = 0.0
    while not stop.is_set():
        try:
            if chores is not None and time.monotonic() >= chores_due:
                await chores(sessionmaker, clock.now())
                chores_due = time.monotonic() + CHORES_INTERVAL_SECONDS
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
        if claimed == 0:
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.mail_poll_seconds)
    log.info("e-mail worker stopped")


async def serve_worker(settings: Settings, *, chores: Chores | None = None) -> None:
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
            chores=chores,
        )
    finally:
        await engine.dispose()
