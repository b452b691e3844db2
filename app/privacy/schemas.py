"""What the registrant's data download answers."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.models import DeliveryState, MailKind
from app.registrations.schemas import RegistrantRead


class ConsentRead(BaseModel):
    version: str | None = Field(description="The consent text's version, shown on the form.")
    given_at: datetime | None


class EmailRecord(BaseModel):
    kind: MailKind
    subject: str
    recipient: str
    state: DeliveryState
    queued_at: datetime
    sent_at: datetime | None
    attempts: int


class AuditRecord(BaseModel):
    action: str
    by: str = Field(description="`organiser`, `registrant` or `rsvp command`.")
    at: datetime
    before: dict[str, Any]
    after: dict[str, Any]


class RegistrantData(BaseModel):
    """Everything held about the registrant (`GET /api/registrations/{token}/data`)."""

    registration: RegistrantRead
    consent: ConsentRead
    emails: list[EmailRecord]
    audit: list[AuditRecord]
