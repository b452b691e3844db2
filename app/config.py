"""Settings from the environment (and `.env`), validated once per process."""

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_EVENT_SLUG = "local-government-migration-development-2013"


# Rate limits as settings write them: "30/minute", "10/15 minutes", "300/hour".
_UNITS = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}
_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)?\s*(second|minute|hour|day)s?\s*$")


@dataclass(frozen=True)
class Limit:
    amount: int
    period: timedelta

    def __str__(self) -> str:
        return f"{self.amount}/{int(self.period.total_seconds())}s"


def parse_limit(value: str) -> Limit:
    """`"30/minute"`, `"10/15 minutes"`, `"300/hour"`, `"1000/day"`."""
    match = _LIMIT.match(value)
    if match is None or int(match[1]) < 1:
        raise ValueError(
            f"{value!r} is not a rate limit such as 30/minute, 10/15 minutes or 300/hour"
        )
    count = int(match[2] or 1)
    if count < 1:
        raise ValueError(f"{value!r}: the period must be at least 1 {match[3]}")
    return Limit(amount=int(match[1]), period=_UNITS[match[3]] * count)


def parse_limits(value: str) -> tuple[Limit, ...]:
    """Several limits, comma-separated: `"30/minute, 300/hour"`."""
    parts = [part for part in value.split(",") if part.strip()]
    if not parts:
        raise ValueError("give at least one limit, such as 30/minute")
    return tuple(parse_limit(part) for part in parts)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """IPs or CIDR blocks (`10.0.0.0/8`, `::1`); `*` is every address."""
    networks: list[Network] = []
    for value in values:
        value = value.strip()
        if value == "*":
            networks += [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
        elif value:
            networks.append(ipaddress.ip_network(value, strict=False))
    return tuple(networks)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = None
    """`postgresql+asyncpg://...`; unset means an embedded PostgreSQL under DATA_DIR/pg."""
    smtp_url: str | None = None
    """`smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://...` (implicit TLS);
    unset means each message is saved as a `.eml` file under DATA_DIR/mail."""
    mail_from: str = "Side-event registration <noreply@localhost>"
    base_url: str = "http://127.0.0.1:8000"
    data_dir: Path = Path(".data")
    secret_key: str | None = None
    """Signs form tokens and keys QR ticket codes (a new key voids issued tickets);
    unset means one generated once into DATA_DIR/secret_key."""
    cors_origins: Annotated[list[str], NoDecode] = []
    rate_limit_enabled: bool = True
    """False turns every rate limit off (load tests from one address)."""
    # Per client address; several limits, comma-separated (`app.abuse.rates.parse_limit`).
    # Counted in PostgreSQL, so every process shares them.
    rate_limit_signups: Annotated[tuple[Limit, ...], NoDecode] = parse_limits("30/minute, 300/hour")
    """Sign-ups (the API and the page's form) per client address."""
    rate_limit_registrant: Annotated[tuple[Limit, ...], NoDecode] = parse_limits(
        "60/minute, 600/hour"
    )
    """The registrant's other writes (edit, cancel, verify, erase; API and pages) per address."""
    rate_limit_login_account: Annotated[tuple[Limit, ...], NoDecode] = parse_limits("10/15 minutes")
    """Organiser sign-in attempts per account (a right password gives its attempt back)."""
    rate_limit_login_address: Annotated[tuple[Limit, ...], NoDecode] = parse_limits("30/15 minutes")
    """...and per client address (wider: several organisers may share an office's address)."""
    forwarded_allow_ips: Annotated[tuple[Network, ...], NoDecode] = ()
    """Proxies (IPs or CIDR blocks) whose X-Forwarded-For names the client, for rate limits."""
    mail_recipient_cap: int = Field(default=10, ge=0)
    """At most this many e-mails an hour to one address caused by public actions."""
    default_event_slug: str = DEFAULT_EVENT_SLUG
    db_pool_size: int = 20
    """Connections each process keeps (as many again may overflow). A request in
    flight holds one, and one opened past the pool is closed when given back, so
    a pool smaller than the requests usually in flight reconnects all the time."""
    max_body_bytes: int = 64 * 1024
    max_import_bytes: int = 2 * 1024 * 1024
    """The largest invitation list (JSON or CSV, up to 1,000 rows) an organiser may send."""
    form_min_fill_seconds: float = 3.0
    """A sign-up form sent back sooner than this after it was served is refused as a bot's."""
    form_max_fill_hours: float = Field(default=24, gt=0)
    """...and one sent back later than this (a replayed stamp) is asked again too."""
    organiser_token_hours: float = 12
    """How long an organiser's bearer token lasts after sign-in."""
    mail_worker_in_process: bool = True
    """`rsvp serve` sends e-mail itself; false when a separate `rsvp worker` runs."""
    mail_max_attempts: int = Field(default=8, ge=1)
    mail_lease_seconds: float = Field(default=300, gt=0)
    """How long a worker holds the rows it claimed; past it (the worker died) they are due again."""
    mail_poll_seconds: float = Field(default=2, gt=0)
    retention_days: int | None = Field(default=None, ge=0)
    """When set, the e-mail worker runs retention once a day (`rsvp purge --keep-days`)."""

    @field_validator(
        "rate_limit_signups",
        "rate_limit_registrant",
        "rate_limit_login_account",
        "rate_limit_login_address",
        mode="before",
    )
    @classmethod
    def _parse_limits(cls, value: object) -> object:
        return parse_limits(value) if isinstance(value, str) else value

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        return parse_networks(value) if isinstance(value, list | tuple) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:587 or smtps://...")
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()
