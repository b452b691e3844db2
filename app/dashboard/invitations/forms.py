"""The invitation form and the CSV import form, into the API's own schema and reader.

The rules stay in `InvitationCreate` and `app.invitations.imports`; this module
maps form text to their fields, their errors and the service's refusals to one
translatable message per field, and reads the CSV from an upload or pasted text.
"""

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from app.dashboard.invitations import labels
from app.invitations.imports import RowProblems
from app.invitations.schemas import InvitationCreate
from app.kit.errors import (
    AlreadyInvited,
    AlreadyRegistered,
    AppError,
    EventFull,
    RegistrationClosed,
)
from app.models import Event
from app.web.forms import Parsed

TEXT_FIELDS = (
    "email",
    "given_name",
    "family_name",
    "organisation",
    "affiliation_type",
    "language",
    "companions_allowed",
    "respond_by",
    "message",
)
FLAGS = ("hold_seats", "allow_delegation")
REQUIRED = frozenset(
    name for name, field in InvitationCreate.model_fields.items() if field.is_required()
)
# What a new, blank form shows.
BLANK = {
    "language": "en",
    "companions_allowed": "0",
    "hold_seats": "yes",
    "allow_delegation": "yes",
}


def local_deadline(raw: str, event: Event) -> datetime | None:
    """A `datetime-local` value ("2026-09-30T18:00") read in the event's time zone;
    None when it is not a date and time."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(event.timezone))


def as_local_input(moment: datetime, event: Event) -> str:
    """A deadline as a `datetime-local` input shows it, in the event's time zone."""
    return moment.astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%dT%H:%M")


def parse_invitation(form: Mapping[str, str], event: Event) -> Parsed[InvitationCreate]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {flag: form.get(flag) == "yes" for flag in FLAGS}
    for name in TEXT_FIELDS:
        raw = form.get(name, "").strip()
        if not raw:
            if name in REQUIRED:
                errors[name] = labels.FIELD_MESSAGES[name][0]
            continue
        values[name] = raw
    if "respond_by" in values:
        values["respond_by"] = local_deadline(values["respond_by"], event) or values["respond_by"]
    try:
        data = InvitationCreate.model_validate(values)
    except ValidationError as invalid:
        for error in invalid.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            if name in labels.FIELD_MESSAGES:
                errors.setdefault(name, labels.FIELD_MESSAGES[name][1])
        data = None
    if errors:
        return Parsed(data=None, errors={n: errors[n] for n in TEXT_FIELDS if n in errors})
    return Parsed(data=data, errors={})


def refusal_errors(error: AppError) -> dict[str, str] | None:
    """The service's refusal of one invitation, as a message next to its field
    (None: not one a form can show)."""
    if isinstance(error, AlreadyInvited):
        return {"email": labels.ALREADY_INVITED}
    if isinstance(error, AlreadyRegistered):
        return {"email": labels.ALREADY_REGISTERED}
    if isinstance(error, EventFull):
        return {"hold_seats": labels.NOT_ENOUGH_SEATS}
    if isinstance(error, RegistrationClosed):
        return {"": labels.EVENT_CALLED_OFF}
    if isinstance(error, RowProblems):
        fields = {str(row.get("field")) for row in error.extra.get("rows", [])}
        return {
            name: labels.FIELD_MESSAGES[name][1] for name in TEXT_FIELDS if name in fields
        } or None
    return None


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The form as sent, to show again: text fields and ticked boxes ("yes")."""
    values = {name: str(form.get(name, "")) for name in TEXT_FIELDS}
    return values | {flag: "yes" for flag in FLAGS if form.get(flag) == "yes"}


def rows_in(data: bytes) -> int:
    """How many invitation rows a CSV file has (under its header, trailing blank
    lines left out), to tell how many of them are fine; 0 if it cannot be read."""
    try:
        records = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    except (UnicodeDecodeError, csv.Error):
        return 0
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()
    return max(len(records) - 1, 0)
