import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
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


class RegistrationStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    pending_approval = "pending_approval"
    declined = "declined"
    cancelled = "cancelled"
    # Signed up for an event with `email_verification`; holds nothing until the
    # address is confirmed, and lapses after VERIFICATION_HOURS.
    pending_verification = "pending_verification"


# A registration in one of these holds (or waits for) a place; the others are over.
ACTIVE_STATUSES = (
    RegistrationStatus.confirmed,
    RegistrationStatus.waitlisted,
    RegistrationStatus.pending_approval,
)


class AffiliationType(StrEnum):
    member_state = "member_state"
    local_government = "local_government"
    un_system = "un_system"
    international_org = "international_org"
    civil_society = "civil_society"
    migrant_diaspora = "migrant_diaspora"
    academia = "academia"
    private_sector = "private_sector"
    media = "media"
    other = "other"


class Language(StrEnum):
    en = "en"
    fr = "fr"
    es = "es"
    ar = "ar"
    zh = "zh"
    ru = "ru"


def _enum(enum: type[StrEnum], name: str) -> Enum:
    # Stored as VARCHAR + CHECK rather than a native type: adding a value later is
    # a plain constraint change, not an ALTER TYPE.
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


_ACTIVE_SQL = "status IN ('confirmed', 'waitlisted', 'pending_approval')"


class Registration(Base):
    __tablename__ = "registrations"
    __table_args__ = (
        # One active registration per e-mail per event, whatever its case: the
        # database, not a check-then-insert, is what stops a duplicate.
        Index(
            "uq_registrations_event_email_active",
            "event_id",
            func.lower(text("email")),
            unique=True,
            postgresql_where=text(_ACTIVE_SQL),
        ),
        Index("ix_registrations_event_status", "event_id", "status"),
        Index("ix_registrations_event_signup_seq", "event_id", "signup_seq"),
        CheckConstraint(
            "(status = 'waitlisted') = (waitlist_position IS NOT NULL)",
            name="waitlist_position_iff_waitlisted",
        ),
        CheckConstraint("waitlist_position IS NULL OR waitlist_position > 0", name="position_1"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Sign-up order. Drawn at INSERT, which happens under the event's row lock, so
    # it grows in commit order: lists paged by it never skip a late commit, as
    # paging by a clock read before the lock could.
    signup_seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200))
    # Case- and space-folded organisation, for max_per_organisation.
    organisation_key: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    affiliation_type: Mapped[AffiliationType] = mapped_column(
        _enum(AffiliationType, "affiliation_type")
    )
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[Language] = mapped_column(_enum(Language, "language"))
    has_un_grounds_pass: Mapped[bool] = mapped_column(Boolean)
    accessibility_needs: Mapped[str | None] = mapped_column(Text)
    status: Mapped[RegistrationStatus] = mapped_column(
        _enum(RegistrationStatus, "registration_status")
    )
    waitlist_position: Mapped[int | None] = mapped_column(Integer)
    # Lower-cased, accent-free name, e-mail and organisation, for organisers' search.
    search_text: Mapped[str] = mapped_column(Text)
    # Manage links are rows of manage_tokens; the ticket code is one per registration.
    ticket_code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The version of the consent text the registrant agreed to, and when (null before
    # consent was recorded; `app.registrations.schemas.CONSENT_VERSION`).
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the registrant had their personal data erased (`app.privacy.data`).
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    event: Mapped[Event] = relationship(lazy="raise")

    @property
    def event_slug(self) -> str:
        return self.event.slug

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
