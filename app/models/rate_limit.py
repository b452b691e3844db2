from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base


class RateLimitHit(Base):
    """One rate-limit counter: hits in the window that ends at `window_ends_at`.

    Shared by every process through the database (`app.abuse.rates`); ended
    windows are deleted by the e-mail worker's housekeeping.
    """

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_window_ends_at", "window_ends_at"),)

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    window_ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
