"""What the API accepts and answers about registrations, for registrants and organisers."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from app.kit.fields import (
    CountryCode,
    Email,
    FreeText,
    OptionalLine,
    Organisation,
    PartialUpdate,
    PersonName,
)
from app.models import AffiliationType, DeliveryState, Language, MailKind, RegistrationStatus
from app.tickets.code import ticket_code

# The version of the consent text the sign-up form shows by its checkbox (`event.html`);
# each registration records the one it agreed to (`consent_version`, `consented_at`).
# Change it whenever the wording changes in meaning.
CONSENT_VERSION = "2026-11-30"


class RegistrationCreate(BaseModel):
    """The sign-up body."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    given_name: PersonName
    family_name: PersonName
    organisation: Organisation
    job_title: OptionalLine | None = None
    affiliation_type: AffiliationType
    country: CountryCode | None = None
    language: Language = Language.en
    has_un_grounds_pass: bool
    accessibility_needs: FreeText | None = None
    # Strict: `1` or `"true"` is not a person's consent (422).
    consent: StrictBool = Field(description="Must be true: consent to the use of these details.")

    @field_validator("consent")
    @classmethod
    def _consent_given(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("consent must be given to register")
        return value


# Fields a registrant may not blank out once set.
_REQUIRED_ON_EDIT = frozenset(
    {"given_name", "family_name", "organisation", "affiliation_type", "language"}
    | {"has_un_grounds_pass"}
)


class RegistrationUpdate(PartialUpdate):
    """The registrant's own edit: any subset of their details, never email or status."""

    given_name: PersonName | None = None
    family_name: PersonName | None = None
    organisation: Organisation | None = None
    job_title: OptionalLine | None = None
    affiliation_type: AffiliationType | None = None
    country: CountryCode | None = None
    language: Language | None = None
    has_un_grounds_pass: bool | None = None
    accessibility_needs: FreeText | None = None

    @model_validator(mode="after")
    def _no_null_for_required(self) -> "RegistrationUpdate":
        nulled = sorted(
            name
            for name in self.model_fields_set & _REQUIRED_ON_EDIT
            if getattr(self, name) is None
        )
        if nulled:
            raise ValueError(f"these fields cannot be null: {', '.join(nulled)}")
        return self


class RegistrationRead(BaseModel):
    """A registration as organisers see it (and the CSV columns)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_slug: str
    email: str
    given_name: str
    family_name: str
    organisation: str
    job_title: str | None
    affiliation_type: AffiliationType
    country: str | None
    language: Language
    has_un_grounds_pass: bool
    accessibility_needs: str | None
    status: RegistrationStatus
    waitlist_position: int | None
    checked_in_at: datetime | None
    created_at: datetime
    updated_at: datetime
    invitation_id: uuid.UUID | None = Field(
        default=None, description="The invitation this registration answered, if any."
    )
    companion_of: uuid.UUID | None = Field(
        default=None, description="For an invitee's named guest: the invitee's registration id."
    )
    substitute_for: uuid.UUID | None = Field(
        default=None,
        description="The registration this one replaced: its registrant passed their place "
        "to this one's (`POST /api/registrations/{token}/substitute`); null for others.",
    )
    offer_expires_at: datetime | None = Field(
        default=None,
        description="While waitlisted: until when the seat offered to them is held "
        "(event `promotion` = `offer`); kept once the offer has lapsed.",
    )


class CompanionRead(BaseModel):
    """An invitee's named guest, as the invitee's own view lists them."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    given_name: str
    family_name: str
    has_un_grounds_pass: bool
    status: RegistrationStatus
    ticket_code: str | None = Field(description="The guest's own ticket code; set once confirmed.")


class RegistrantRead(RegistrationRead):
    """The registrant's own view, reached through the secret token."""

    manage_url: str
    ticket_code: str | None = Field(description="The QR ticket's code; set once confirmed.")
    companions: list[CompanionRead] = Field(
        default=[],
        description="An invitee's named guests (each with a seat and ticket of their own).",
    )

    @classmethod
    def build(
        cls,
        registration: object,
        *,
        token: str,
        base_url: str,
        ticket_key: str,
        companions: Sequence[object] = (),
    ) -> "RegistrantRead":
        """`ticket_key` is the app's signing key, which keys the ticket codes."""
        base = RegistrationRead.model_validate(registration)
        return cls(
            **base.model_dump(),
            manage_url=f"{base_url}/r/{token}",
            ticket_code=_code(base, ticket_key),
            companions=[
                CompanionRead(
                    **RegistrationRead.model_validate(one).model_dump(
                        include={"id", "given_name", "family_name", "has_un_grounds_pass"}
                        | {"status"}
                    ),
                    ticket_code=_code(RegistrationRead.model_validate(one), ticket_key),
                )
                for one in companions
            ],
        )


def _code(registration: RegistrationRead, ticket_key: str) -> str | None:
    confirmed = registration.status == RegistrationStatus.confirmed
    return ticket_code(registration.id, ticket_key) if confirmed else None


class RegistrationPage(BaseModel):
    items: list[RegistrationRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
    total: int = Field(description="How many registrations match the filters, over all pages.")


class EmailRead(BaseModel):
    """One e-mail to a registrant, as the outbox keeps it (without its body)."""

    model_config = ConfigDict(from_attributes=True)

    kind: MailKind
    recipient: str
    subject: str
    message_id: str
    state: DeliveryState
    attempts: int
    last_error: str | None
    next_attempt_at: datetime = Field(description="When a pending message is tried next.")
    created_at: datetime
    sent_at: datetime | None


class RegistrationDetail(RegistrationRead):
    emails: list[EmailRead] = Field(
        description="The e-mails queued for this registrant, oldest first, with their delivery."
    )


class TicketScan(BaseModel):
    ticket_code: str = Field(min_length=1, max_length=128)


class AwaitingVerificationRead(BaseModel):
    """A sign-up to an event with `email_verification`: no manage link until the
    address is confirmed with the link e-mailed to it."""

    id: uuid.UUID
    event_slug: str
    status: RegistrationStatus
    verification_expires_at: datetime
