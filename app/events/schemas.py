"""What the API accepts and answers about events, and their stats."""

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.kit.fields import (
    SLUG_MAX_LENGTH,
    SLUG_PATTERN,
    ArrivalInstructions,
    Email,
    Entrance,
    EventMoment,
    EventTitle,
    OrganiserName,
    PartialUpdate,
    Summary,
    Venue,
)
from app.models import (
    Access,
    AffiliationType,
    DeliveryState,
    InvitationStatus,
    Language,
    Promotion,
    RegistrationStatus,
)
from app.models.event import DEFAULT_INVITATION_REMINDERS, DEFAULT_OFFER_HOURS, DEFAULT_REMINDERS
from app.schedule.durations import check_durations

# Far beyond any room, and within the database's integer.
MAX_SEATS = 1_000_000
# An offer held for up to 30 days.
MAX_OFFER_HOURS = 720

Durations = Annotated[
    list[Annotated[str, Field(max_length=32)]],
    Field(max_length=10),
    AfterValidator(check_durations),
]
"""ISO 8601 durations (`app.schedule.durations`): weeks to seconds, at most ten, none twice."""


class EventFields(BaseModel):
    """An event as written in a data file (or, later, by an organiser)."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=f"^{SLUG_PATTERN.pattern}$", max_length=SLUG_MAX_LENGTH)
    title: EventTitle
    summary: Summary = ""
    starts_at: EventMoment
    ends_at: EventMoment
    timezone: str
    venue: Venue
    capacity: int = Field(ge=0, le=MAX_SEATS)
    waitlist_enabled: bool = True
    approval_required: bool = False
    access: Access = Field(
        default=Access.public,
        description="`invitation_only`: the public sign-up answers 409 `invitation_required`.",
    )
    email_verification: bool = Field(
        default=False,
        description="Double opt-in: a sign-up takes its place once its address is confirmed.",
    )
    registration_opens_at: EventMoment | None = None
    registration_closes_at: EventMoment | None = None
    max_per_organisation: int | None = Field(default=None, gt=0, le=MAX_SEATS)
    languages: list[Language] = [Language.en]
    organisers: list[OrganiserName] = Field(default=[], max_length=20)
    # For attendees: whom to write to, the address of the way in, and when and how to arrive.
    contact_email: Email | None = None
    entrance: Entrance | None = None
    arrival_instructions: ArrivalInstructions | None = None
    # Scheduled messages and waitlist offers (README "Scheduled messages").
    reminders: Durations = Field(
        default=list(DEFAULT_REMINDERS),
        description="ISO 8601 durations before the start: a reminder to the confirmed.",
    )
    invitation_reminders: Durations = Field(
        default=list(DEFAULT_INVITATION_REMINDERS),
        description="ISO 8601 durations before an invitation's respond_by.",
    )
    promotion: Promotion = Promotion.auto
    offer_hours: int = Field(default=DEFAULT_OFFER_HOURS, ge=1, le=MAX_OFFER_HOURS)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"unknown IANA time zone {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent_times(self) -> "EventFields":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        opens, closes = self.registration_opens_at, self.registration_closes_at
        if opens and closes and closes < opens:
            raise ValueError("registration_closes_at must not be before registration_opens_at")
        return self


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    title: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    capacity: int
    seats_left: int
    waitlist_enabled: bool
    approval_required: bool
    access: Access = Access.public
    email_verification: bool = False
    registration_open: bool
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    max_per_organisation: int | None
    languages: list[Language]
    organisers: list[str]
    contact_email: str | None = None
    entrance: str | None = None
    arrival_instructions: str | None = None
    reminders: list[str] = list(DEFAULT_REMINDERS)
    invitation_reminders: list[str] = list(DEFAULT_INVITATION_REMINDERS)
    promotion: Promotion = Promotion.auto
    offer_hours: int = DEFAULT_OFFER_HOURS
    cancelled_at: datetime | None = None

    @model_validator(mode="after")
    def _times_in_event_zone(self) -> "EventRead":
        # Same instants, shown with the venue's offset: easier to read for people.
        zone = ZoneInfo(self.timezone)
        self.starts_at = self.starts_at.astimezone(zone)
        self.ends_at = self.ends_at.astimezone(zone)
        return self


class EventUpdate(PartialUpdate):
    """An organiser's edit: any subset of the event's fields except its slug."""

    title: EventTitle | None = None
    summary: Summary | None = None
    starts_at: EventMoment | None = None
    ends_at: EventMoment | None = None
    timezone: str | None = None
    venue: Venue | None = None
    capacity: int | None = Field(default=None, ge=0, le=MAX_SEATS)
    waitlist_enabled: bool | None = None
    approval_required: bool | None = None
    access: Access | None = None
    email_verification: bool | None = None
    registration_opens_at: EventMoment | None = None
    registration_closes_at: EventMoment | None = None
    max_per_organisation: int | None = Field(default=None, gt=0, le=MAX_SEATS)
    languages: list[Language] | None = None
    organisers: list[OrganiserName] | None = Field(default=None, max_length=20)
    contact_email: Email | None = None
    entrance: Entrance | None = None
    arrival_instructions: ArrivalInstructions | None = None
    reminders: Durations | None = None
    invitation_reminders: Durations | None = None
    promotion: Promotion | None = None
    offer_hours: int | None = Field(default=None, ge=1, le=MAX_OFFER_HOURS)


class DailySignups(BaseModel):
    date: date
    count: int


class EventStats(BaseModel):
    capacity: int
    seats_left: int
    checked_in: int
    by_status: dict[RegistrationStatus, int] = Field(description="Every registration.")
    by_affiliation_type: dict[AffiliationType, int] = Field(
        description="Active registrations (confirmed, waitlisted, pending approval)."
    )
    by_country: dict[str, int] = Field(
        description="Active registrations by ISO country code; `unknown` when none was given."
    )
    signups_per_day: list[DailySignups] = Field(
        description="Sign-ups per calendar day in the event's time zone, oldest first."
    )
    emails_by_state: dict[DeliveryState, int] = Field(description="E-mails by delivery state.")
    invitations: dict[InvitationStatus, int] = Field(
        default={}, description="Invitations by status (every status listed)."
    )
    seats_held: int = Field(
        default=0, description="Seats held for pending invitations before their deadline."
    )
