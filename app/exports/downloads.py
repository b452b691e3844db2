"""The two downloads as HTTP responses, audited: for the API (bearer token) and the
dashboard's pages (session) alike, so both give the same file and the same record."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.events import service as events
from app.exports import service as exports
from app.exports.attendees_csv import CsvDialect, export_filename, stream_csv
from app.exports.copy_stream import Copied
from app.kit.clock import Clock
from app.models import Event, Organiser
from app.registrations.filters import RegistrationFilters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class CsvChoice:
    """What an organiser asked the CSV for: which rows, which columns, which dialect."""

    filters: RegistrationFilters
    columns: list[str]
    dialect: CsvDialect


def _attachment(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }


async def csv_download(
    request: Request,
    session: AsyncSession,
    clock: Clock,
    slug: str,
    organiser: Organiser,
    choice: CsvChoice,
) -> StreamingResponse:
    """The event's filtered registrations as CSV, streamed, audited before the first byte."""
    event = await events.get_event(session, slug)
    entry = await exports.record_csv_export(
        session,
        event=event,
        filters=choice.filters,
        columns=choice.columns,
        dialect=choice.dialect,
        actor=organiser,
        now=clock.now(),
    )
    body = _stream(request.app.state.sessionmaker, event, choice, entry.id)
    filename = export_filename(event, clock.now(), "csv")
    return StreamingResponse(
        body, media_type="text/csv; charset=utf-8", headers=_attachment(filename)
    )


async def _stream(
    sessionmaker: async_sessionmaker[AsyncSession],
    event: Event,
    choice: CsvChoice,
    audit_entry_id: int,
) -> AsyncIterator[bytes]:
    # Its own transaction: the request's has committed by the time the body streams.
    # The rows come from one statement, PostgreSQL's COPY, so the file is one consistent
    # snapshot; the audit entry (written in the request's transaction) is already
    # durable, and gets the number of rows once the last one is out.
    copied = Copied()
    async with sessionmaker() as session, session.begin():
        async for chunk in stream_csv(
            session,
            event=event,
            filters=choice.filters,
            columns=choice.columns,
            dialect=choice.dialect,
            copied=copied,
        ):
            yield chunk
        if copied.rows is not None:
            await exports.record_csv_rows(session, audit_entry_id, copied.rows)


async def security_list_download(
    session: AsyncSession, clock: Clock, slug: str, organiser: Organiser
) -> Response:
    """The event's UN security list workbook, audited."""
    event = await events.get_event(session, slug)
    result = await exports.security_list_export(
        session, event=event, actor=organiser, now=clock.now()
    )
    filename = export_filename(event, clock.now(), "xlsx", kind="security-list")
    return Response(result.content, media_type=XLSX, headers=_attachment(filename))
