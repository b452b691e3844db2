from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.kit.db import Base
from app.models.registration import _enum as sql_enum  # one enum style for all tables


class OrganiserRole(StrEnum):
    owner = "owner"
    staff = "staff"
    viewer = "viewer"

    @property
    def rank(self) -> int:
        """Each role may do everything the roles below it may."""
        return _RANKS[self]

    def covers(self, required: "OrganiserRole") -> bool:
        return self.rank >= required.rank


_RANKS = {OrganiserRole.viewer: 0, OrganiserRole.staff: 1, OrganiserRole.owner: 2}


class TokenKind(StrEnum):
    """Where a token is accepted: the API's Authorization header, or the pages' cookie."""

    bearer = "bearer"
    session = "session"


class Organiser(Base):
    __tablename__ = "organisers"
    __table_args__ = (Index("uq_organisers_email", func.lower(text("email")), unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[OrganiserRole] = mapped_column(sql_enum(OrganiserRole, "organiser_role"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccessToken(Base):
    """An organiser's bearer token or browser session; only its SHA-256 digest is kept.

    One table, so both expire and are revoked alike; `kind` keeps each to its own
    door (a session cookie is no bearer token, nor the other way round).
    """

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    kind: Mapped[TokenKind] = mapped_column(
        sql_enum(TokenKind, "token_kind"), server_default=TokenKind.bearer.value
    )

    organiser: Mapped[Organiser] = relationship(lazy="raise")
