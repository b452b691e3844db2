"""Sign-in attempts are limited per account and per client address (the `limits` library).

Each attempt is counted up front, atomically, before the password is checked:
checking first and counting after the (slow) password check let simultaneous
guesses all pass the check before any of them was counted. A sign-in that
succeeds gives its attempt back, so in effect only failures use the limits up;
while it is being checked it counts, which only errs on the safe side.
"""

import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from app.config import Settings
from app.kit.errors import RateLimited

PER_ACCOUNT = parse("10/15 minutes")
# Wider than per account: several organisers may share an office's address.
PER_ADDRESS = parse("30/15 minutes")

Key = tuple[RateLimitItem, str, str]


class LoginThrottle:
    def __init__(
        self,
        settings: Settings,
        *,
        per_account: RateLimitItem = PER_ACCOUNT,
        per_address: RateLimitItem = PER_ADDRESS,
    ) -> None:
        self.enabled = settings.rate_limit_enabled
        self.per_account, self.per_address = per_account, per_address
        uri = settings.rate_limit_storage
        # The app is async, so it needs the asynchronous flavour of the storage.
        storage = storage_from_string(uri if uri.startswith("async+") else f"async+{uri}")
        self._limiter = FixedWindowRateLimiter(storage)

    def _keys(self, email: str, address: str) -> list[Key]:
        return [
            (self.per_account, "login-account", email.strip().lower()),
            (self.per_address, "login-address", address),
        ]

    async def attempt(self, *, email: str, address: str) -> None:
        """Count a sign-in attempt; raise RateLimited when the account or address has none left.

        A refused attempt is not counted against the other limit.
        """
        if not self.enabled:
            return
        counted: list[Key] = []
        for key in self._keys(email, address):
            limit, *identifiers = key
            if not await self._limiter.hit(limit, *identifiers):
                for earlier in counted:
                    await self._give_back(earlier)
                stats = await self._limiter.get_window_stats(limit, *identifiers)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise RateLimited(
                    "Too many failed sign-ins; please wait before trying again.",
                    retry_after=retry_after,
                )
            counted.append(key)

    async def succeeded(self, *, email: str, address: str) -> None:
        """The attempt was right: give it back to both limits."""
        if not self.enabled:
            return
        for key in self._keys(email, address):
            await self._give_back(key)

    async def _give_back(self, key: Key) -> None:
        limit, *identifiers = key
        # An increment by -1 (memory and Redis storages take it). Should the window
        # have ended meanwhile, the next one starts one attempt richer: harmless.
        await self._limiter.storage.incr(limit.key_for(*identifiers), limit.get_expiry(), amount=-1)
