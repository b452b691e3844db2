"""What the organiser API answers and accepts (beyond events and single registrations)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.models import AffiliationType, DeliveryState, MailKind, RegistrationStatus
from app.schemas.registration import RegistrationRead


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


class AuditEntryRead(BaseModel):
    id: int
    at: datetime = Field(validation_alias="created_at")
    actor: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any]
    after: dict[str, Any]

    model_config = {"from_attributes": True}


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None
    total: int
