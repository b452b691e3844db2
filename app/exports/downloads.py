"""The two downloads as HTTP responses, audited: for the API (bearer token) and the
dashboard's pages (session) alike, so both give the same file and the same record."""

from collections.abc import AsyncIterator

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.exports import service as exports
from app.exports.attendees_csv import CsvDialect, export_filename, stream_csv
from app.kit.clock import Clock
from app.models import Event, Organiser
from app.registrations.filters import RegistrationFilters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }


async def csv_download(
    request: Request,
    session: AsyncSession,
    clock: Clock,
    *,
    event: Event,
    organiser: Organiser,
    filters: RegistrationFilters,
    columns: list[str],
    dialect: CsvDialect,
) -> StreamingResponse:
    """The filtered registrations as CSV, streamed, audited before the first byte."""
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
        body, media_type="text/csv; charset=utf-8", headers=_attachment(filename)
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


async def security_list_download(
    session: AsyncSession, clock: Clock, *, event: Event, organiser: Organiser
) -> Response:
    """The UN security list workbook, audited."""
    result = await exports.security_list_export(
        session, event=event, actor=organiser, now=clock.now()
    )
    filename = export_filename(event, clock.now(), "xlsx", kind="security-list")
    return Response(result.content, media_type=XLSX, headers=_attachment(filename))
