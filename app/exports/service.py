"""Exports of an event's attendees, each recorded in the audit log."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.exports.attendees_csv import CsvDialect
from app.exports.security_list import SecurityList, build_security_list
from app.models import AuditEntry, Event, Organiser
from app.registrations.filters import RegistrationFilters


async def record_csv_export(
    session: AsyncSession,
    *,
    event: Event,
    filters: RegistrationFilters,
    columns: list[str],
    dialect: CsvDialect,
    actor: Organiser,
    now: datetime,
) -> AuditEntry:
    """Audit the export before its first byte leaves (so an aborted download is on
    record too); its `rows` is filled in by `record_csv_rows` once the file is out
    (counting them first would read the rows twice)."""
    details: dict[str, Any] = {
        "filters": filters.model_dump(mode="json", exclude_none=True),
        "columns": columns,
        "dialect": dialect.value,
        "rows": None,
    }
    return await audit.record_on_event(
        session,
        actor=actor,
        action="event.export_csv",
        event=event,
        after=details,
        now=now,
    )


async def record_csv_rows(session: AsyncSession, entry_id: int, rows: int) -> None:
    """The number of rows the exported file held, on its audit entry."""
    after = func.jsonb_set(AuditEntry.after, literal_column("'{rows}'"), func.to_jsonb(rows))
    await session.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(after=after))


async def security_list_export(
    session: AsyncSession, *, event: Event, actor: Organiser, now: datetime
) -> SecurityList:
    result = await build_security_list(session, event=event)
    await audit.record_on_event(
        session,
        actor=actor,
        action="event.export_security_list",
        event=event,
        after={"rows": result.on_time + result.late, "late": result.late},
        now=now,
    )
    return result
