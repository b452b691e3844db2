"""The per-recipient cap on e-mail caused by the public (MAIL_RECIPIENT_CAP an hour)."""

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import DeliveryState, MailKind, OutboxMessage
from tests.fixtures.app import own_path
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, signup_body
from tests.fixtures.mail import SendQueued, SmtpServer

SIGNUPS = "/api/events/side-event/registrations"
VICTIM = "Victim@Example.org"


def capped(app: Any, settings: Settings, cap: int = 3) -> None:
    app.state.settings = settings.model_copy(update={"mail_recipient_cap": cap})


async def sign_up_and_cancel(client: httpx.AsyncClient, email: str) -> None:
    created = await client.post(SIGNUPS, json=signup_body(email=email))
    assert created.status_code == 201
    cancelled = await client.post(own_path(created.json(), "/cancel"))
    assert cancelled.status_code == 200


async def states(session: AsyncSession, recipient: str) -> list[tuple[MailKind, DeliveryState]]:
    rows = await session.execute(
        select(OutboxMessage.kind, OutboxMessage.state)
        .where(func.lower(OutboxMessage.recipient) == recipient.lower())
        .order_by(OutboxMessage.created_at, OutboxMessage.kind.desc())
    )
    return [(kind, state) for kind, state in rows]


async def test_public_actions_past_the_cap_succeed_without_e_mail(
    app: Any,
    settings: Settings,
    event: object,
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FakeClock,
) -> None:
    capped(app, settings, cap=3)
    for _ in range(3):
        await sign_up_and_cancel(client, VICTIM)
        clock.advance(seconds=1)
    sent, held = DeliveryState.pending, DeliveryState.suppressed
    assert await states(session, VICTIM) == [
        (MailKind.confirmed, sent),
        (MailKind.cancelled, sent),
        (MailKind.confirmed, sent),
        (MailKind.cancelled, held),
        (MailKind.confirmed, held),
        (MailKind.cancelled, held),
    ]
    # Whatever the case of the address, it is the same mailbox.
    await sign_up_and_cancel(client, VICTIM.lower())
    assert [state for _, state in (await states(session, VICTIM))[-2:]] == [held, held]
    # Just over an hour after the first two, they fall out of the window: room for two.
    clock.advance(hours=1, seconds=-2)
    await sign_up_and_cancel(client, VICTIM)
    assert [state for _, state in (await states(session, VICTIM))[-2:]] == [sent, sent]


async def test_suppressed_messages_show_in_the_history_and_are_never_sent(
    app: Any,
    settings: Settings,
    event: object,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    send_queued: SendQueued,
    smtp_server: SmtpServer,
    session: AsyncSession,
    clock: FakeClock,
) -> None:
    capped(app, settings, cap=1)
    first = (await client.post(SIGNUPS, json=signup_body(email=VICTIM))).json()
    clock.advance(seconds=1)
    # A duplicate sign-up asks for the manage link again: over the cap.
    assert (await client.post(SIGNUPS, json=signup_body(email=VICTIM))).status_code == 409
    assert await send_queued() == 1
    assert [r.lower() for r in smtp_server.handler.recipients] == [VICTIM.lower()]
    detail = await client.get(
        f"/api/admin/events/side-event/registrations/{first['id']}",
        headers=await auth_headers("viewer"),
    )
    emails = detail.json()["emails"]
    assert [(e["kind"], e["state"]) for e in emails] == [
        ("confirmed", "sent"),
        ("manage_link", "suppressed"),
    ]
    assert "cap" in emails[1]["last_error"]
    # Nothing secret is kept for a message that will never go.
    assert (
        await session.scalar(
            select(func.count()).where(
                OutboxMessage.state == DeliveryState.suppressed,
                OutboxMessage.manage_token.is_not(None),
            )
        )
        == 0
    )


async def test_organisers_actions_are_exempt(
    app: Any,
    settings: Settings,
    event: object,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    session: AsyncSession,
) -> None:
    capped(app, settings, cap=1)
    created = (await client.post(SIGNUPS, json=signup_body(email=VICTIM))).json()
    headers = await auth_headers("owner")
    path = f"/api/admin/events/side-event/registrations/{created['id']}/resend-confirmation"
    for _ in range(3):
        assert (await client.post(path, headers=headers)).status_code == 200
    assert [state for _, state in await states(session, VICTIM)] == [DeliveryState.pending] * 4
