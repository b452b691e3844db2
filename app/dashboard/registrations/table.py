"""The registrations table: one page of the organisers' filtered list, either way
(`app.dashboard.paging`), through the API list's own `matching_page`."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.paging import PAGE_SIZE, TablePage, two_way_page
from app.kit.pagination import KeysetPage
from app.models import Event, Registration
from app.registrations.filters import RegistrationFilters, matching_page


async def table_page(
    session: AsyncSession,
    *,
    event: Event,
    filters: RegistrationFilters,
    after: str | None = None,
    before: str | None = None,
    limit: int = PAGE_SIZE,
) -> TablePage[Registration]:
    """The rows after `after`, or else before `before`, or else the first ones,
    in sign-up order, with the total the filters match over all pages."""

    async def fetch(cursor: str | None, newest_first: bool) -> KeysetPage[Registration]:
        return await matching_page(
            session, event, filters, limit=limit, cursor=cursor, newest_first=newest_first
        )

    return await two_way_page(fetch, order_key="signup_seq", after=after, before=before)
