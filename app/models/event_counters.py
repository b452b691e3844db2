"""An event's seat figures (registrations per status), kept exact by the database itself.

One row per event (created with it by a trigger). Statement-level triggers on
`registrations` (migration 0006) add what each INSERT, UPDATE or DELETE changed,
in the same transaction: so every writer, whichever code path it takes, keeps
them right, and reading them is O(1). Seat decisions read them under the
event's lock, which is this row's lock (`app.events.service.get_event(..., lock=True)`).

`offered` counts the waitlisted registrations holding an offer of a seat
(`offer_expires_at` set), kept by triggers of their own (migration 0012), apart
from `held`, which invitations use.

`EventTally` rows count an event's registrations by one dimension's key, kept
exact the same way. Dimensions: `affiliation_type` and `country` ('' for none) count the active
registrations; `signup_quarter` counts every registration by the UTC quarter
hour of its sign-up ("2013-09-02T00:15Z"), which the dashboard sums into the
venue's days. Statement-level triggers on `registrations` (migration 0009)
apply each statement's net changes, so the dashboard reads a few hundred rows
instead of every registration. A key whose count fell to 0 keeps its row.
"""

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.models.registration import RegistrationStatus

# The statuses the counters keep, one column each: all but a sign-up awaiting
# e-mail verification, which holds nothing (migration 0007 left the triggers as
# they were, counting the statuses they name).
COUNTED_STATUSES = tuple(
    status for status in RegistrationStatus if status != RegistrationStatus.pending_verification
)


def _count() -> Mapped[int]:
    return mapped_column(Integer, default=0, server_default="0")


class EventCounters(Base):
    __tablename__ = "event_counters"
    __table_args__ = (
        CheckConstraint(
            "confirmed >= 0 AND waitlisted >= 0 AND pending_approval >= 0 AND declined >= 0 "
            "AND cancelled >= 0 AND held >= 0 AND checked_in >= 0",
            name="counts_not_negative",
        ),
        CheckConstraint("offered >= 0", name="offered_not_negative"),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    confirmed: Mapped[int] = _count()
    waitlisted: Mapped[int] = _count()
    pending_approval: Mapped[int] = _count()
    declined: Mapped[int] = _count()
    cancelled: Mapped[int] = _count()
    # Seats set aside (invitations): taken from seats_left like confirmed ones.
    held: Mapped[int] = _count()
    # Confirmed registrations that have arrived.
    checked_in: Mapped[int] = _count()
    # Waitlisted registrations holding an open offer of a seat (`app.events.offers`):
    # taken from seats_left too. Kept by triggers of their own (migration 0012).
    offered: Mapped[int] = _count()


class EventTally(Base):
    __tablename__ = "event_tallies"
    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
