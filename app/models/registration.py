import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    Sequence,
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


ACTIVE_SQL = "status IN ('confirmed', 'waitlisted', 'pending_approval')"
# What the one-active-registration-per-e-mail index covers: active registrants in their
# own name. A companion (an invitee's named guest) shares the invitee's e-mail address.
UNIQUE_ACTIVE_SQL = f"{ACTIVE_SQL} AND companion_of IS NULL"

# The CSV formula rule's first test (`app.exports.cells`), as a PostgreSQL regular
# expression: a value it does not match is exported as it is.
FORMULA_AT_RISK = r"(^|[,;\t\r\n]) *[-=+@]|^[\t\r]"
FREE_TEXT_COLUMNS = (
    "email",
    "given_name",
    "family_name",
    "organisation",
    "job_title",
    "accessibility_needs",
)
"""Text typed by people, which may hold a formula; the other columns are made by the
service (ids, codes, enums, times, numbers) and cannot start with a trigger."""
NEEDS_FORMULA_CHECK_SQL = (
    "COALESCE("
    + " OR ".join(f"{column} ~ '{FORMULA_AT_RISK}'" for column in FREE_TEXT_COLUMNS)
    + ", false)"
)


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
            postgresql_where=text(UNIQUE_ACTIVE_SQL),
        ),
        Index("ix_registrations_event_status", "event_id", "status"),
        Index("ix_registrations_event_signup_seq", "event_id", "signup_seq"),
        # The list's exact total under its filters (`count_matching`): an index-only
        # count of the matching entries rather than a scan of the event's rows.
        Index(
            "ix_registrations_event_filters", "event_id", "affiliation_type", "country", "status"
        ),
        # The waitlist in order: its head in O(log n), and a position is the number
        # of entries before it (`app.models.waitlist`).
        Index(
            "ix_registrations_waitlist",
            "event_id",
            "waitlist_order",
            postgresql_where=text("status = 'waitlisted'"),
        ),
        # Offers (`app.events.offers`): the next to offer a seat to is the head of
        # those waiting without one; lapsed offers are found by their deadline.
        Index(
            "ix_registrations_waitlist_unoffered",
            "event_id",
            "waitlist_order",
            postgresql_where=text("status = 'waitlisted' AND offer_expires_at IS NULL"),
        ),
        Index(
            "ix_registrations_open_offers",
            "offer_expires_at",
            postgresql_where=text("status = 'waitlisted' AND offer_expires_at IS NOT NULL"),
        ),
        # max_per_organisation counts at most that many rows through this.
        Index(
            "ix_registrations_event_organisation",
            "event_id",
            "organisation_key",
            postgresql_where=text(ACTIVE_SQL),
        ),
        # An invitee's companions, for their manage page and cancellation.
        Index(
            "ix_registrations_companion_of",
            "companion_of",
            postgresql_where=text("companion_of IS NOT NULL"),
        ),
        # Search (`q`): the rows whose folded text has all of a word's trigrams
        # (`search_trigrams`, a SQL function of migration 0012; no extension needed).
        Index(
            "ix_registrations_search_trigrams",
            func.search_trigrams(text("search_text")),
            postgresql_using="gin",
        ),
        CheckConstraint(
            "(status = 'waitlisted') = (waitlist_order IS NOT NULL)",
            name="waitlist_order_iff_waitlisted",
        ),
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
    # Place in the waitlist queue, drawn from WAITLIST_ORDER when the registration
    # joins it (under the event's lock, so later joiners queue behind); the
    # position shown (1, 2, ...) is derived from it when read.
    waitlist_order: Mapped[int | None] = mapped_column(BigInteger)
    # While waitlisted: the deadline of the seat offered to them (event `promotion` =
    # `offer`); the seat is held until then. Kept after the offer lapsed (the
    # registration is then cancelled), so a late answer is told `offer_expired`.
    offer_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Whether a free-text column may hold a formula (FORMULA_AT_RISK), kept by
    # PostgreSQL on every write (a few microseconds): the CSV export applies the
    # formula rule only to these rows, instead of testing every cell of every row.
    needs_formula_check: Mapped[bool] = mapped_column(
        Boolean, Computed(NEEDS_FORMULA_CHECK_SQL, persisted=True)
    )
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
    # The invitation this registration answered (`app.invitations`), for the invitee
    # and their companions; null for public sign-ups.
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL", use_alter=True)
    )
    # A companion (a named guest of an invitee) points at the invitee's registration;
    # it has its own ticket and seat, and the invitee's e-mail address.
    companion_of: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE")
    )
    # The registration this one replaced: its registrant passed their place to this
    # one's (`app.substitutions`). The replaced one is cancelled; this one took its
    # status and waitlist place.
    substitute_for: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL")
    )

    event: Mapped[Event] = relationship(lazy="raise")

    @property
    def event_slug(self) -> str:
        return self.event.slug

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def waitlist_position(self) -> int | None:
        """1 for the head of the waitlist; None unless waitlisted.

        Not stored (promotions would have to renumber everyone behind): whoever
        reads a registration sets it (`app.models.waitlist.load_positions`),
        outside the event's lock. Reading it unset is a bug, so it raises.
        """
        if self.status != RegistrationStatus.waitlisted:
            return None
        try:
            position: int = self.__dict__[_POSITION]
        except KeyError:
            raise PositionNotLoaded(f"waitlist position of {self.id} not loaded") from None
        return position

    @waitlist_position.setter
    def waitlist_position(self, position: int | None) -> None:
        self.__dict__[_POSITION] = position

    @property
    def holds_offer(self) -> bool:
        """Waitlisted with a seat offered to them (open, or lapsed and not yet passed on)."""
        return self.status == RegistrationStatus.waitlisted and self.offer_expires_at is not None

    @property
    def known_waitlist_position(self) -> int | None:
        """The position if it was set, else None (never raises)."""
        if self.status != RegistrationStatus.waitlisted:
            return None
        position: int | None = self.__dict__.get(_POSITION)
        return position


class PositionNotLoaded(RuntimeError):
    """A waitlisted registration's position was read before it was set."""


_POSITION = "_waitlist_position"

# Draws waitlist_order values (only under an event's lock).
WAITLIST_ORDER = Sequence("registrations_waitlist_order_seq", metadata=Base.metadata)
