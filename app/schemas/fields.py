"""Reusable validated field types for request bodies."""

from typing import Annotated

import pycountry
from pydantic import AfterValidator, EmailStr, Field

from app.text import clean_line, clean_multiline


def _non_blank_line(value: str) -> str:
    cleaned = clean_line(value)
    if not cleaned:
        raise ValueError("must not be blank")
    return cleaned


def _optional_line(value: str) -> str | None:
    return clean_line(value) or None


def _optional_text(value: str) -> str | None:
    return clean_multiline(value) or None


def _country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, such as 'EC' or 'GR'")
    return code


def _email(value: str) -> str:
    return value.strip()


# `max_length` is checked on what was sent; the clean-up only ever shortens it.
PersonName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_non_blank_line)]
Organisation = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_non_blank_line)]
OptionalLine = Annotated[str, Field(max_length=200), AfterValidator(_optional_line)]
FreeText = Annotated[str, Field(max_length=2000), AfterValidator(_optional_text)]
CountryCode = Annotated[str, Field(max_length=2), AfterValidator(_country)]
Email = Annotated[EmailStr, Field(max_length=254), AfterValidator(_email)]
