"""Reusable validated field types for request bodies and data files, and the
base of partial updates.

Text is cleaned (NFC, control characters dropped, spaces folded, trimmed) and
its length checked after cleaning: normalising can lengthen text (NFC turns
some characters into several), and the limit is the database column's.
"""

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from app.kit.text import clean_line, clean_multiline


def _cleaned(
    clean: Callable[[str], str], max_length: int, *, required: bool, empty: str | None = None
) -> Callable[[str], str | None]:
    def validate(value: str) -> str | None:
        cleaned = clean(value)
        if len(cleaned) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        if cleaned:
            return cleaned
        if required:
            raise ValueError("must not be blank")
        return empty

    return validate


def _line(max_length: int, *, required: bool) -> object:
    return AfterValidator(_cleaned(clean_line, max_length, required=required))


def _text(max_length: int, *, empty: str | None = None) -> object:
    return AfterValidator(_cleaned(clean_multiline, max_length, required=False, empty=empty))


def _country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, such as 'EC' or 'GR'")
    return code


def _email(value: str) -> str:
    return value.strip()


def _plausible_year(value: datetime) -> datetime:
    if not 1900 <= value.year <= 2999:
        raise ValueError("must be a date between the years 1900 and 2999")
    return value


SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX_LENGTH = 80

PersonName = Annotated[str, Field(min_length=1, max_length=100), _line(100, required=True)]
Organisation = Annotated[str, Field(min_length=1, max_length=200), _line(200, required=True)]
OptionalLine = Annotated[str, Field(max_length=200), _line(200, required=False)]
FreeText = Annotated[str, Field(max_length=2000), _text(2000)]
CountryCode = Annotated[str, Field(max_length=2), AfterValidator(_country)]
Email = Annotated[EmailStr, Field(max_length=254), AfterValidator(_email)]

EventTitle = Annotated[str, Field(min_length=1, max_length=300), _line(300, required=True)]
Venue = Annotated[str, Field(min_length=1, max_length=300), _line(300, required=True)]
OrganiserName = Annotated[str, Field(min_length=1, max_length=200), _line(200, required=True)]
Summary = Annotated[str, Field(max_length=5000), _text(5000, empty="")]
Entrance = Annotated[str, Field(max_length=300), _line(300, required=False)]
ArrivalInstructions = Annotated[str, Field(max_length=2000), _text(2000)]
EventMoment = Annotated[AwareDatetime, AfterValidator(_plausible_year)]
# An organiser's e-mail to registrants: one line of subject (it becomes a header), and
# a plain-text body of paragraphs.
MailSubject = Annotated[str, Field(min_length=1, max_length=200), _line(200, required=True)]
MailBody = Annotated[
    str,
    Field(min_length=1, max_length=10_000),
    AfterValidator(_cleaned(clean_multiline, 10_000, required=True)),
]


class PartialUpdate(BaseModel):
    """An edit of some fields: every field optional, unknown ones refused (422).

    `changes()` holds only the fields the client sent, so "not sent" (leave it)
    and null (clear it) stay apart.
    """

    model_config = ConfigDict(extra="forbid")

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)
