"""Rate limits counted in PostgreSQL, so every process serving the site shares them.

A limit is "N per period" for a key (a scope and a hashed identity, such as a
client address). Its window opens at the key's first hit and lasts one period:
within it the first N hits are allowed, later ones refused until it ends. One
`INSERT ... ON CONFLICT DO UPDATE ... RETURNING` counts a hit atomically, so
processes and concurrent requests cannot both take the last hit. Counts live in
their own short transaction, committed at once: a request that fails later
still used its hit, and the request's transaction never waits on a counter row.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Limit
from app.kit.clock import Clock
from app.models import RateLimitHit


def key_for(scope: str, limit: Limit, identity: str) -> str:
    """The counter's key; the identity (an address, an e-mail) is kept only as a digest."""
    hashed = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{scope}:{limit}:{hashed}"


@dataclass(frozen=True)
class Hit:
    allowed: bool
    retry_after: int
    """Whole seconds until the window ends (at least 1)."""


_COUNT = text(
    """
    INSERT INTO rate_limit_hits AS r (key, hits, window_ends_at)
    VALUES (:key, 1, :ends)
    ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN r.window_ends_at <= :now THEN 1 ELSE r.hits + 1 END,
        window_ends_at = CASE
            WHEN r.window_ends_at <= :now THEN excluded.window_ends_at ELSE r.window_ends_at
        END
    RETURNING hits, window_ends_at
    """
)


async def count_hit(session: AsyncSession, key: str, limit: Limit, *, now: datetime) -> Hit:
    row = (
        await session.execute(_COUNT, {"key": key, "now": now, "ends": now + limit.period})
    ).one()
    seconds = (row.window_ends_at - now).total_seconds()
    return Hit(allowed=row.hits <= limit.amount, retry_after=max(1, math.ceil(seconds)))


async def give_back(session: AsyncSession, key: str, *, now: datetime) -> None:
    """Undo one hit of a window still running (a sign-in that turned out right)."""
    await session.execute(
        update(RateLimitHit)
        .where(RateLimitHit.key == key, RateLimitHit.hits > 0, RateLimitHit.window_ends_at > now)
        .values(hits=RateLimitHit.hits - 1)
    )


async def expire(session: AsyncSession, *, now: datetime) -> int:
    """Delete the counters whose window has ended; returns how many."""
    result = await session.execute(delete(RateLimitHit).where(RateLimitHit.window_ends_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


class RateLimiter:
    """Counts hits in their own committed transaction (see the module's docstring)."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, *, enabled: bool
    ) -> None:
        self.sessionmaker, self.clock, self.enabled = sessionmaker, clock, enabled

    async def hit(self, scope: str, identity: str, limits: tuple[Limit, ...]) -> Hit:
        """Count one hit against each limit; refused when any has none left (the longest wait)."""
        if not self.enabled:
            return Hit(allowed=True, retry_after=0)
        now = self.clock.now()
        refused: list[Hit] = []
        allowed: list[str] = []
        async with self.sessionmaker() as session, session.begin():
            for limit in limits:
                key = key_for(scope, limit, identity)
                hit = await count_hit(session, key, limit, now=now)
                if hit.allowed:
                    allowed.append(key)
                else:
                    refused.append(hit)
            if refused:
                # A refused request uses up none of the other limits: a client that
                # hammers at the per-minute limit still gets its share each minute.
                for key in allowed:
                    await give_back(session, key, now=now)
        if refused:
            return Hit(allowed=False, retry_after=max(hit.retry_after for hit in refused))
        return Hit(allowed=True, retry_after=0)

    async def give_back(self, scope: str, identity: str, limits: tuple[Limit, ...]) -> None:
        if not self.enabled:
            return
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            for limit in limits:
                await give_back(session, key_for(scope, limit, identity), now=now)
