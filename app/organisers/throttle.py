"""Sign-in attempts are limited per account and per client address.

The counters are the database's (`app.abuse.rates`), so the limits hold across
every process serving the site. Each attempt is counted up front, atomically,
before the password is checked: checking first and counting after the (slow)
password check let simultaneous guesses all pass the check before any of them
was counted. A sign-in that succeeds gives its attempt back, so in effect only
failures use the limits up; while it is being checked it counts, which only
errs on the safe side.
"""

from dataclasses import dataclass

from app.abuse.rates import RateLimiter
from app.config import Limit
from app.kit.errors import RateLimited

ACCOUNT_SCOPE = "login-account"
ADDRESS_SCOPE = "login-address"


@dataclass(frozen=True)
class LoginThrottle:
    limiter: RateLimiter
    per_account: tuple[Limit, ...]
    per_address: tuple[Limit, ...]

    def _keys(self, email: str, address: str) -> list[tuple[str, str, tuple[Limit, ...]]]:
        return [
            (ACCOUNT_SCOPE, email.strip().lower(), self.per_account),
            (ADDRESS_SCOPE, address, self.per_address),
        ]

    async def attempt(self, *, email: str, address: str) -> None:
        """Count a sign-in attempt; raise RateLimited when the account or address has none left.

        A refused attempt is not counted against the other limit.
        """
        counted: list[tuple[str, str, tuple[Limit, ...]]] = []
        for scope, identity, limits in self._keys(email, address):
            hit = await self.limiter.hit(scope, identity, limits)
            if not hit.allowed:
                for earlier in counted:
                    await self.limiter.give_back(*earlier)
                raise RateLimited(
                    "Too many failed sign-ins; please wait before trying again.",
                    retry_after=hit.retry_after,
                )
            counted.append((scope, identity, limits))

    async def succeeded(self, *, email: str, address: str) -> None:
        """The attempt was right: give it back to both limits."""
        for key in self._keys(email, address):
            await self.limiter.give_back(*key)
