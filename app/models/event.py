from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    DateTime,
    Enum,
    Integer,
    String,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base


class Promotion(StrEnum):
    """What a freed seat does when people wait: `auto` confirms the head of the
    waitlist at once; `offer` offers it to them, held until `offer_expires_at`."""

    auto = "auto"
    offer = "offer"


# ISO 8601 durations before the start (`reminders`) or an invitation's `respond_by`.
DEFAULT_REMINDERS = ("P1D",)
DEFAULT_INVITATION_REMINDERS = ("P2D",)
DEFAULT_OFFER_HOURS = 24


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "max_per_organisation IS NULL OR max_per_organisation > 0",
            name="max_per_organisation_positive",
        ),
        CheckConstraint("access IN ('public', 'invitation_only')", name="access_known"),
        CheckConstraint("offer_hours > 0", name="offer_hours_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    timezone: Mapped[str] = mapped_column(String(64))
    venue: Mapped[str] = mapped_column(String(300))
    capacity: Mapped[int] = mapped_column(Integer)
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    approval_required: Mapped[bool] = mapped_column(default=False)
    # `public` or `invitation_only` (`app.models.invitations.Access`): the latter
    # refuses public sign-ups (409 invitation_required).
    access: Mapped[str] = mapped_column(String(32), default="public", server_default="public")
    # Double opt-in: a sign-up takes a seat only once its address is confirmed.
    email_verification: Mapped[bool] = mapped_column(default=False, server_default=false())
    registration_opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    registration_closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_per_organisation: Mapped[int | None] = mapped_column(Integer)
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(8)), default=lambda: ["en"])
    organisers: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    # What an attendee needs to get in: whom to ask, where to go, what to bring.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    entrance: Mapped[str | None] = mapped_column(String(300))
    arrival_instructions: Mapped[str | None] = mapped_column(Text)
    # Scheduled messages (`app.schedule`): durations before the start, and before an
    # invitation's `respond_by`.
    reminders: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)),
        default=lambda: list(DEFAULT_REMINDERS),
        server_default=text("'{P1D}'"),
    )
    invitation_reminders: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)),
        default=lambda: list(DEFAULT_INVITATION_REMINDERS),
        server_default=text("'{P2D}'"),
    )
    promotion: Mapped[Promotion] = mapped_column(
        Enum(
            Promotion,
            name="promotion",
            native_enum=False,
            create_constraint=True,
            length=8,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=Promotion.auto,
        server_default=Promotion.auto.value,
    )
    offer_hours: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_OFFER_HOURS, server_default=str(DEFAULT_OFFER_HOURS)
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The iCalendar SEQUENCE of the event's entries: raised on each change that
    # registrants' calendars must pick up (time, venue, cancellation).
    ical_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    def registration_open_at(self, now: datetime) -> bool:
        """Open while now lies within [opens, closes]; an absent bound is open.

        A cancelled event is closed.
        """
        if self.cancelled_at is not None:
            return False
        opens, closes = self.registration_opens_at, self.registration_closes_at
        return (opens is None or now >= opens) and (closes is None or now <= closes)
