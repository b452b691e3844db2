"""An event's registrations counted by one dimension's key, kept exact by the database.

Dimensions: `affiliation_type` and `country` ('' for none) count the active
registrations; `signup_quarter` counts every registration by the UTC quarter
hour of its sign-up ("2013-09-02T00:15Z"), which the dashboard sums into the
venue's days. Statement-level triggers on `registrations` (migration 0008)
apply each statement's net changes, so the dashboard reads a few hundred rows
instead of every registration. A key whose count fell to 0 keeps its row.
"""

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base


class EventTally(Base):
    __tablename__ = "event_tallies"
    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
