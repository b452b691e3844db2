"""Query parameters shared by the organiser listings (and the CSV export)."""

from typing import Annotated

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.services.registration_filters import RegistrationFilters

Limit = Annotated[int, Query(ge=1, le=500, description="Rows per page.")]
Cursor = Annotated[
    str | None, Query(max_length=200, description="`next_cursor` from the previous page.")
]

_LIST_HELP = "One or more values, repeated (`?status=a&status=b`) or comma-separated (`a,b`)."
ListParam = Annotated[list[str] | None, Query(description=_LIST_HELP)]


def _split(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def registration_filters(
    status: ListParam = None,
    affiliation_type: ListParam = None,
    country: ListParam = None,
    has_un_grounds_pass: bool | None = None,
    checked_in: bool | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in name, e-mail or organisation.")
    ] = None,
) -> RegistrationFilters:
    try:
        return RegistrationFilters.model_validate(
            {
                "status": _split(status),
                "affiliation_type": _split(affiliation_type),
                "country": _split(country),
                "has_un_grounds_pass": has_un_grounds_pass,
                "checked_in": checked_in,
                "q": q,
            }
        )
    except ValidationError as exc:
        # Reported like FastAPI's own query errors: 422, located in the query.
        raise RequestValidationError(
            [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
        ) from exc
