"""What the invitations API accepts and answers."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.events.schemas import EventRead
from app.kit.fields import Email, FreeText, Organisation, PersonName
from app.models import AffiliationType, InvitationStatus, Language
from app.registrations.schemas import EmailRead, RegistrationCreate

# More named guests than any side-event room would seat per invitee.
MAX_COMPANIONS = 20
MAX_BATCH = 1000

Deadline = Annotated[AwareDatetime, Field(description="ISO 8601 with offset.")]


class InvitationCreate(BaseModel):
    """One invitation, as an organiser writes it (a JSON object, or a CSV row)."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    given_name: PersonName
    family_name: PersonName
    organisation: Organisation | None = None
    affiliation_type: AffiliationType | None = None
    language: Language = Language.en
    companions_allowed: int = Field(default=0, ge=0, le=MAX_COMPANIONS)
    hold_seats: bool = Field(
        default=True,
        description="Hold 1 + companions_allowed seats while pending, until respond_by.",
    )
    allow_delegation: bool = True
    respond_by: Deadline | None = Field(
        default=None,
        description="Default: when registration closes, else the event's start.",
    )
    message: FreeText | None = Field(default=None, description="The organisers' personal note.")


class InvitationBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invitations: list[InvitationCreate] = Field(min_length=1, max_length=MAX_BATCH)


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_slug: str
    email: str
    given_name: str
    family_name: str
    organisation: str | None
    affiliation_type: AffiliationType | None
    language: Language
    companions_allowed: int
    hold_seats: bool
    allow_delegation: bool
    respond_by: datetime
    message: str | None
    status: InvitationStatus
    seats_held: int = Field(description="Seats this invitation holds now.")
    created_at: datetime
    updated_at: datetime
    responded_at: datetime | None
    registration_id: uuid.UUID | None
    delegated_to: uuid.UUID | None = Field(description="The delegate's invitation.")
    delegated_from: uuid.UUID | None = Field(description="The invitation passed on to this one.")
    decline_note: str | None


class IssuedInvitation(InvitationRead):
    """An invitation just created or resent: the only time its RSVP link is shown."""

    rsvp_url: str


class InvitationDetail(InvitationRead):
    emails: list[EmailRead] = Field(description="The e-mails about this invitation, oldest first.")


class InvitationPage(BaseModel):
    items: list[InvitationRead]
    next_cursor: str | None
    total: int


class CreatedInvitations(BaseModel):
    invitations: list[IssuedInvitation]


class DryRun(BaseModel):
    """`?dry_run=true`: everything checked, nothing created."""

    dry_run: bool = True
    count: int = Field(description="Invitations that would be created.")
    seats_to_hold: int = Field(description="Seats they would hold.")


class InviteeView(InvitationRead):
    """What the RSVP link shows its invitee: the invitation (status as of now) and its event."""

    event: EventRead


class CompanionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: PersonName
    family_name: PersonName
    has_un_grounds_pass: bool


class AcceptBody(RegistrationCreate):
    """The sign-up body; its `email` is ignored (the invitation's is used)."""

    email: str | None = Field(default=None, max_length=254)  # type: ignore[assignment]
    companions: list[CompanionCreate] = Field(default=[], max_length=MAX_COMPANIONS)


class DeclineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: FreeText | None = None


class DelegateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    given_name: PersonName
    family_name: PersonName
    language: Language | None = Field(
        default=None, description="The delegate's language; default: the invitation's."
    )


class ExtendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    respond_by: Deadline
