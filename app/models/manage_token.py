import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base


class ManageToken(Base):
    """One of a registration's manage links; only its SHA-256 digest is kept.

    A registration has one per message that carried a link, each valid, so no
    later message (or stranger's duplicate sign-up) voids the links before it.
    """

    __tablename__ = "manage_tokens"
    __table_args__ = (Index("ix_manage_tokens_registration", "registration_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE")
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
