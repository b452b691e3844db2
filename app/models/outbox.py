"""The e-mail outbox: one row per message, written in the transaction of its cause;
and the organisers' broadcasts, whose text the outbox rows of one broadcast share."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

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
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.models.registration import _enum as sql_enum  # one enum style for all tables


class MailKind(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    pending_approval = "pending_approval"
    promoted = "promoted"
    cancelled = "cancelled"
    declined = "declined"
    manage_link = "manage_link"
    event_changed = "event_changed"
    event_cancelled = "event_cancelled"
    verify_email = "verify_email"
    # About an invitation (`invitation_id`), not a registration.
    invitation = "invitation"
    delegate_invitation = "delegate_invitation"
    invitation_declined = "invitation_declined"
    invitation_delegated = "invitation_delegated"
    # Before `respond_by`, to a pending invitee (`app.schedule.invitations`).
    invitation_reminder = "invitation_reminder"
    # A substitution (`app.substitutions`): the substitute's first message, by the
    # status they took over, and the notice to the registrant they replaced.
    substitute_confirmed = "substitute_confirmed"
    substitute_waitlisted = "substitute_waitlisted"
    substitute_pending_approval = "substitute_pending_approval"
    seat_passed_on = "seat_passed_on"
    # An organiser's message to the registrants matching filters (`Broadcast`).
    broadcast = "broadcast"

    # Scheduled (`app.schedule`) and waitlist offers (`app.events.offers`).
    reminder = "reminder"
    offer = "offer"
    offer_lapsed = "offer_lapsed"


# The kinds whose row names an invitation (and carries its RSVP token until sent).
INVITATION_KINDS = frozenset(
    {
        MailKind.invitation,
        MailKind.delegate_invitation,
        MailKind.invitation_declined,
        MailKind.invitation_delegated,
        MailKind.invitation_reminder,
    }
)


class DeliveryState(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"
    # Not sent on purpose: over the recipient's cap, or its registrant asked for erasure.
    suppressed = "suppressed"


class OutboxMessage(Base):
    __tablename__ = "email_outbox"
    __table_args__ = (
        # What the worker scans: pending rows by due time.
        Index(
            "ix_email_outbox_due",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
        ),
        Index("ix_email_outbox_registration", "registration_id", "created_at"),
        Index(
            "ix_email_outbox_invitation",
            "invitation_id",
            "created_at",
            postgresql_where=text("invitation_id IS NOT NULL"),
        ),
        Index("ix_email_outbox_event_state", "event_id", "state"),
        # A broadcast's delivery states, counted for its history.
        Index(
            "ix_email_outbox_broadcast",
            "broadcast_id",
            "state",
            postgresql_where=text("broadcast_id IS NOT NULL"),
        ),
        # The per-recipient cap's count (`app.abuse.recipient_cap`).
        Index(
            "ix_email_outbox_recipient_public",
            "recipient_key",
            "created_at",
            postgresql_where=text("public_cause AND state <> 'suppressed'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    registration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL")
    )
    # A message about an invitation (INVITATION_KINDS) names it instead.
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL")
    )
    kind: Mapped[MailKind] = mapped_column(sql_enum(MailKind, "mail_kind"))
    recipient: Mapped[str] = mapped_column(String(254))
    # SHA-256 of the lower-cased recipient: what the per-recipient cap counts by.
    recipient_key: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # Caused by a public request (counted against the recipient's cap), not an organiser.
    public_cause: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    subject: Mapped[str] = mapped_column(String(400))
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    # What the sender needs to render the message (`app.mail.worker.render`): the
    # registrant's language, the calendar METHOD to attach (if any), and, for a
    # waitlist message, the position when it was queued.
    language: Mapped[str | None] = mapped_column(String(8))
    calendar_method: Mapped[str | None] = mapped_column(String(8))
    waitlist_position: Mapped[int | None] = mapped_column(Integer)
    # For a broadcast, its subject and body (shared by its rows).
    broadcast_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    # The manage link's token in clear, for the message's link; set to NULL once
    # the row is sent or failed, so the secret does not outlive its sending.
    manage_token: Mapped[str | None] = mapped_column(Text)
    # The RSVP link's token of an invitation message, in clear until sent, like manage_token.
    rsvp_token: Mapped[str | None] = mapped_column(Text)
    # A message rendered when queued (rows from before render-at-send); dropped
    # with the token once sent or failed.
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[DeliveryState] = mapped_column(
        sql_enum(DeliveryState, "delivery_state"), default=DeliveryState.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A worker's lease on the row while it sends; once it has passed (the worker
    # died), the row is due again.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxTally(Base):
    """How many of an event's messages ever entered (`way` 'entered') or left ('left')
    a delivery state: the count in the state is the difference. Kept by statement-level
    triggers on `email_outbox` (migration 0013), so stats count no messages; entering
    and leaving are separate rows, so a sign-up and the sender never wait on one row."""

    __tablename__ = "outbox_tallies"
    __table_args__ = (CheckConstraint("way IN ('entered', 'left')", name="way"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(32), primary_key=True)
    way: Mapped[str] = mapped_column(String(8), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class JobKind(StrEnum):
    reminder = "reminder"
    """The event's reminder `before_seconds` before its start, to its confirmed registrants."""
    invitation_reminder = "invitation_reminder"
    """Before an invitation's `respond_by`, to pending invitees (`app.invitations`)."""
    retention = "retention"
    """The daily retention run (when RETENTION_DAYS is set)."""


class ScheduledJob(Base):
    """Something to do at a due time: the durable scheduler's row (`app.schedule.jobs`).

    A worker claims due rows with FOR UPDATE SKIP LOCKED and does each in the
    transaction that marks it done, so whichever worker takes a row, it is done
    once; a worker that dies mid-job rolls back and leaves it due. A reminder
    is one row per event and duration (its messages are made when it runs, for
    whoever is confirmed then, in batches: `progress` is the last `signup_seq`
    done), so a sign-up, cancellation or a moved start writes no per-person rows.
    """

    __tablename__ = "scheduled_jobs"
    __table_args__ = (
        Index("ix_scheduled_jobs_due", "due_at", postgresql_where=text("done_at IS NULL")),
        Index("ix_scheduled_jobs_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # What it is, unique: "reminder:<event id>:<seconds>", "retention".
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[JobKind] = mapped_column(sql_enum(JobKind, "job_kind"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # How long before its anchor (the event's start, an invitation's deadline) it is due.
    before_seconds: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    progress: Mapped[int | None] = mapped_column(BigInteger)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Broadcast(Base):
    """An organiser's message to an event's registrants matching the list's filters.

    Its outbox rows (kind `broadcast`) are queued with it, one per registrant; the
    worker renders each from this text in the frame of the registrant's language.
    """

    __tablename__ = "broadcasts"
    __table_args__ = (
        # The history, newest first; and the repeat check (same text and filters, lately).
        Index("ix_broadcasts_event_created", "event_id", "created_at"),
        Index("ix_broadcasts_event_fingerprint", "event_id", "fingerprint", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # The sender's e-mail is copied, as in the audit log, should the account go.
    organiser_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisers.id", ondelete="SET NULL")
    )
    sent_by: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # SHA-256 of subject, body and filters: the same message to the same people.
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(32))
    recipients: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
