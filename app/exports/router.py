"""Attendee exports for organisers: the streaming CSV and the UN security list."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.deps import ClockDep, SessionDep
from app.events import service as events
from app.exports import service as exports
from app.exports.attendees_csv import (
    COLUMNS,
    CsvDialect,
    UnknownColumns,
    export_filename,
    parse_columns,
    stream_csv,
)
from app.kit.errors import COMMON, error_responses
from app.models import Event
from app.organisers.dependencies import AUTH_ERRORS, Viewer
from app.registrations.admin_router import registration_filters
from app.registrations.filters import RegistrationFilters

router = APIRouter(prefix="/api/admin/events/{slug}", tags=["organisers"], responses=COMMON)

_ERRORS = AUTH_ERRORS | error_responses(e404="`not_found`: unknown event")

_COLUMNS_HELP = f"Comma-separated, in the order wanted; default all: {', '.join(COLUMNS)}."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    event = await events.get_event(session, slug)
    await exports.record_csv_export(
        session,
        event=event,
        filters=filters,
        columns=columns,
        dialect=dialect,
        actor=organiser,
        now=clock.now(),
    )
    body = _stream(request.app.state.sessionmaker, event, filters, columns, dialect)
    filename = export_filename(event, clock.now(), "csv")
    return StreamingResponse(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


async def _stream(
    sessionmaker: async_sessionmaker[AsyncSession],
    event: Event,
    filters: RegistrationFilters,
    columns: list[str],
    dialect: CsvDialect,
) -> AsyncIterator[bytes]:
    # Its own transaction: the request's has committed by the time the body streams.
    # The rows come from one statement's cursor, so the file is one consistent snapshot.
    async with sessionmaker() as session, session.begin():
        async for chunk in stream_csv(
            session, event=event, filters=filters, columns=columns, dialect=dialect
        ):
            yield chunk


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
    event = await events.get_event(session, slug)
    result = await exports.security_list_export(
        session, event=event, actor=organiser, now=clock.now()
    )
    filename = export_filename(event, clock.now(), "xlsx", kind="security-list")
    return Response(
        result.content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
