"""Dependency aliases shared by the routers: the session, the clock, the settings, the key,
the client's address and the rate limits on public writes.

The small ones are `async def` on purpose: FastAPI runs a plain `def` dependency in
a worker thread, a hop that costs more than what they do.

The signed-in organiser and their role are `app.organisers.dependencies`.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.abuse.client_address import request_address
from app.abuse.rates import RateLimiter
from app.abuse.recipient_cap import mark_public_cause
from app.config import Limit, Settings
from app.kit.clock import Clock
from app.kit.db import get_session
from app.kit.errors import RateLimited


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_signing_key(request: Request) -> str:
    key: str = request.app.state.signing_key
    return key


async def get_rate_limiter(request: Request) -> RateLimiter:
    settings: Settings = request.app.state.settings
    return RateLimiter(
        request.app.state.sessionmaker, request.app.state.clock, enabled=settings.rate_limit_enabled
    )


async def get_client_address(request: Request) -> str:
    """The peer's address, or the one trusted proxies (FORWARDED_ALLOW_IPS) give for it."""
    settings: Settings = request.app.state.settings
    return request_address(request, settings.forwarded_allow_ips)


# scope="function": the transaction commits before the response leaves, so a 2xx
# always means the change is durable.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# The key of the QR ticket codes (`app.kit.secrets`).
SigningKeyDep = Annotated[str, Depends(get_signing_key)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
ClientAddress = Annotated[str, Depends(get_client_address)]


def public_write(scope: str, limits: Callable[[Settings], tuple[Limit, ...]]) -> Any:
    """A dependency for a public write: counts it against the client address's `limits`
    (429 `rate_limited` with Retry-After when none are left), and marks the request's
    e-mail as caused by the public, which the per-recipient cap counts."""

    async def dependency(
        request: Request, limiter: RateLimiterDep, address: ClientAddress, session: SessionDep
    ) -> None:
        settings: Settings = request.app.state.settings
        hit = await limiter.hit(scope, address, limits(settings))
        if not hit.allowed:
            raise RateLimited(
                "Too many requests from your network; please wait and try again.",
                retry_after=hit.retry_after,
            )
        mark_public_cause(session, cap=settings.mail_recipient_cap)

    return Depends(dependency)


SignupWrite = public_write("signup", lambda settings: settings.rate_limit_signups)
"""Sign-ups, from the API and the page's form."""
RegistrantWrite = public_write("registrant", lambda settings: settings.rate_limit_registrant)
"""The registrant's other writes: edit, cancel, substitute, verify, erase."""
InviteeWrite = public_write("invitee", lambda settings: settings.rate_limit_registrant)
"""An invitee's answers through their RSVP link (accept, decline, delegate)."""
