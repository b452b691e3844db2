"""Failed sign-ins are limited per account and per client address (the `limits` library)."""

import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from app.config import Settings
from app.errors import RateLimited

PER_ACCOUNT = parse("10/15 minutes")
# Wider than per account: several organisers may share an office's address.
PER_ADDRESS = parse("30/15 minutes")


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

    def _keys(self, email: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
        return [
            (self.per_account, "login-account", email.strip().lower()),
            (self.per_address, "login-address", address),
        ]

    async def check(self, *, email: str, address: str) -> None:
        """Raise RateLimited while either the account or the address has failed too often."""
        if not self.enabled:
            return
        for limit, *identifiers in self._keys(email, address):
            if not await self._limiter.test(limit, *identifiers):
                stats = await self._limiter.get_window_stats(limit, *identifiers)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise RateLimited(
                    "Too many failed sign-ins; please wait before trying again.",
                    retry_after=retry_after,
                )

    async def failed(self, *, email: str, address: str) -> None:
        if not self.enabled:
            return
        for limit, *identifiers in self._keys(email, address):
            await self._limiter.hit(limit, *identifiers)
