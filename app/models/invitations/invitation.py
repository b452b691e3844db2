"""An invitation: a named person asked to an event by its organisers, with a personal RSVP link.

Only the SHA-256 digest of the RSVP token is kept (`token_hash`); resending
replaces it, so the link in an earlier e-mail stops working.

`seats_held` is how many seats this invitation counts in its event's
`event_counters.held` right now (1 + `companions_allowed` while pending with
`hold_seats`, else 0). A statement-level trigger on `invitations` (migration
0011) adds each statement's change of it to the counters, like the triggers on
`registrations`, so every writer keeps `held` exact. Past `respond_by` a hold
no longer counts: readers leave such lapsed holds out
(`app.events.seating.lapsed_holds`), and the next seat change or the e-mail
worker releases them (`release_lapsed_holds`), by the index on
`(event_id, respond_by)` of pending invitations.
"""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.kit.db import Base
from app.models.event import Event
from app.models.registration import AffiliationType, Language
from app.models.registration import _enum as sql_enum


class InvitationStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    delegated = "delegated"
    expired = "expired"
    revoked = "revoked"


class Access(StrEnum):
    """Who may sign up to an event: anyone, or only the invited (`Event.access`)."""

    public = "public"
    invitation_only = "invitation_only"


# An e-mail has at most one invitation in these statuses per event.
ANSWERABLE_SQL = "status IN ('pending', 'accepted')"


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        Index(
            "uq_invitations_event_email_open",
            "event_id",
            func.lower(text("email")),
            unique=True,
            postgresql_where=text(ANSWERABLE_SQL),
        ),
        # The pending ones by deadline: an event's lapsed holds are a range of it.
        Index(
            "ix_invitations_event_pending_respond_by",
            "event_id",
            "respond_by",
            postgresql_where=text("status = 'pending'"),
        ),
        # The worker's sweep over every event's lapsed invitations.
        Index(
            "ix_invitations_pending_respond_by",
            "respond_by",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_invitations_event_seq", "event_id", "seq"),
        CheckConstraint("companions_allowed >= 0", name="companions_not_negative"),
        CheckConstraint(
            "seats_held = 0 OR status = 'pending'", name="only_pending_invitations_hold"
        ),
        CheckConstraint("seats_held >= 0", name="seats_held_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Creation order (an identity), for keyset paging.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str | None] = mapped_column(String(200))
    affiliation_type: Mapped[AffiliationType | None] = mapped_column(
        sql_enum(AffiliationType, "affiliation_type")
    )
    language: Mapped[Language] = mapped_column(sql_enum(Language, "language"))
    companions_allowed: Mapped[int] = mapped_column(Integer, default=0)
    hold_seats: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_delegation: Mapped[bool] = mapped_column(Boolean, default=True)
    respond_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[InvitationStatus] = mapped_column(
        sql_enum(InvitationStatus, "invitation_status")
    )
    # Seats this invitation counts in event_counters.held now (see the module's doc).
    seats_held: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    # The link of its latest reminder (`app.schedule.invitations`): it opens the
    # invitation too, so the first link keeps working; a resend retires both.
    reminder_token_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    # Reminders due at or before this moment are not sent: it was made, extended or
    # last reminded then (so only reminders still to come are planned, each once).
    reminders_after: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    decline_note: Mapped[str | None] = mapped_column(Text)
    registration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL")
    )
    # The delegate's invitation (this one's status is then `delegated`), and the reverse.
    delegated_to: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL")
    )
    delegated_from: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL")
    )
    # Lower-cased, accent-free name, e-mail and organisation, for organisers' search.
    search_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    event: Mapped[Event] = relationship(lazy="raise")

    @property
    def event_slug(self) -> str:
        return self.event.slug

    @property
    def seats_to_hold(self) -> int:
        """What this invitation holds while pending and before its deadline."""
        return 1 + self.companions_allowed if self.hold_seats else 0

    def lapsed_at(self, now: datetime) -> bool:
        return now > self.respond_by
