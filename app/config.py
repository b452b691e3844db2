"""Settings from the environment (and `.env`), validated once per process."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_EVENT_SLUG = "local-government-migration-development-2013"


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
    rate_limit_storage: str = "memory://"
    default_event_slug: str = DEFAULT_EVENT_SLUG
    db_pool_size: int = 10
    max_body_bytes: int = 64 * 1024
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
