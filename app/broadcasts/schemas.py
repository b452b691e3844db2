"""A broadcast as the organiser writes it (text and the list's filters) and as the
history shows it."""

import uuid
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.kit.fields import CountryCode, MailBody, MailSubject
from app.kit.text import clean_line
from app.models import AffiliationType, RegistrationStatus
from app.registrations.filters import RegistrationFilters

T = TypeVar("T")
# Each filter is a list of the values to match; an empty one would match nobody.
Values = Annotated[list[T], Field(min_length=1, max_length=300)]


def _one_or_either(values: list[bool] | None) -> bool | None:
    """[true] or [false] narrows; both (or none) do not."""
    return values[0] if values is not None and len(set(values)) == 1 else None


class BroadcastCreate(BaseModel):
    """The message, and whom it goes to: the registrations list's filters, each a
    list of values (a list filter as given; a yes/no one as `[true]`, `[false]` or
    both), combined with AND as the list combines them."""

    model_config = ConfigDict(extra="forbid")

    subject: MailSubject
    body: MailBody = Field(description="Plain text; blank lines part paragraphs.")
    status: Values[RegistrationStatus] | None = None
    affiliation_type: Values[AffiliationType] | None = None
    country: Values[CountryCode] | None = None
    has_un_grounds_pass: Values[bool] | None = None
    checked_in: Values[bool] | None = None
    q: Annotated[str, Field(max_length=200), AfterValidator(clean_line)] | None = Field(
        default=None, description="Words found in name, e-mail or organisation."
    )

    def registration_filters(self) -> RegistrationFilters:
        return RegistrationFilters(
            status=self.status,
            affiliation_type=self.affiliation_type,
            country=self.country,
            has_un_grounds_pass=_one_or_either(self.has_un_grounds_pass),
            checked_in=_one_or_either(self.checked_in),
            q=self.q or None,
        )

    def filters(self) -> dict[str, Any]:
        """The filters given, each list sorted and without repeats: the same people
        asked for in another order are the same filters."""
        given = self.model_dump(mode="json", exclude={"subject", "body"}, exclude_none=True)
        return {
            name: sorted(set(value)) if isinstance(value, list) else value
            for name, value in given.items()
        }


class DeliveryCounts(BaseModel):
    """How many of a broadcast's messages are in each delivery state."""

    pending: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0


class BroadcastRead(BaseModel):
    id: uuid.UUID
    subject: str
    body: str
    filters: dict[str, Any]
    sent_by: str = Field(description="The owner who sent it (their e-mail).")
    created_at: datetime
    recipients: int = Field(description="How many registrants it was queued for.")
    delivery: DeliveryCounts


class BroadcastList(BaseModel):
    items: list[BroadcastRead] = Field(description="Newest first.")
