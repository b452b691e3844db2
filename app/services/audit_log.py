"""Reading the audit log: newest first, paginated like the registration list."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEntry
from app.services.pagination import Page, keyset_page


async def list_audit_entries(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> Page[AuditEntry]:
    return await keyset_page(
        session,
        select(AuditEntry),
        # Entries are numbered as written; organiser changes rarely race, and the
        # log is read newest first.
        order=AuditEntry.id,
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
