"""Reading the audit log: newest first, paginated like the registration list."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEntry
from app.services.pagination import Keyset, Page, keyset_page

AUDIT_KEYSET = Keyset(created_at=AuditEntry.created_at, id=AuditEntry.id, id_type=int)


async def list_audit_entries(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> Page[AuditEntry]:
    return await keyset_page(
        session,
        select(AuditEntry),
        keyset=AUDIT_KEYSET,
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
