"""Attendee exports for organisers: the streaming CSV and the UN security list."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse

from app.deps import ClockDep, SessionDep
from app.exports.attendees_csv import COLUMNS, CsvDialect, UnknownColumns, parse_columns
from app.exports.downloads import XLSX, CsvChoice, csv_download, security_list_download
from app.kit.errors import COMMON, error_responses
from app.organisers.dependencies import AUTH_ERRORS, Viewer
from app.registrations.admin_router import registration_filters
from app.registrations.filters import RegistrationFilters

router = APIRouter(prefix="/api/admin/events/{slug}", tags=["organisers"], responses=COMMON)

_ERRORS = AUTH_ERRORS | error_responses(e404="`not_found`: unknown event")

_COLUMNS_HELP = f"Comma-separated, in the order wanted; default all: {', '.join(COLUMNS)}."


async def _columns(
    columns: Annotated[str | None, Query(max_length=2000, description=_COLUMNS_HELP)] = None,
) -> list[str]:
    try:
        return parse_columns(columns)
    except UnknownColumns as exc:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "columns"),
                    "msg": str(exc),
                    "input": columns,
                }
            ]
        ) from exc


@router.get(
    "/registrations.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **_ERRORS},
)
async def registrations_csv(
    slug: str,
    request: Request,
    organiser: Viewer,
    filters: Annotated[RegistrationFilters, Depends(registration_filters)],
    columns: Annotated[list[str], Depends(_columns)],
    session: SessionDep,
    clock: ClockDep,
    dialect: CsvDialect = CsvDialect.excel,
) -> StreamingResponse:
    """The filtered registrations as CSV, streamed; `dialect=excel` (UTF-8 with BOM)
    or `rfc4180`. Cells that a spreadsheet would run as a formula start with `'`."""
    choice = CsvChoice(filters, columns, dialect)
    return await csv_download(request, session, clock, slug, organiser, choice)


@router.get(
    "/security-list.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}, **_ERRORS},
)
async def security_list(
    slug: str, organiser: Viewer, session: SessionDep, clock: ClockDep
) -> Response:
    """The UN Special Event Ticket request sheet: confirmed attendees without a grounds
    pass; those who registered within 48 hours of the event on a second, late sheet."""
    return await security_list_download(session, clock, slug, organiser)
