"""Addresses the dashboard's pages link to and send the browser to."""

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse

from app.dashboard.paging import TablePage
from app.dashboard.rendering import HEADERS


def here(request: Request, **changes: str | None) -> str:
    """This page's address with some query parameters changed (None drops one)."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    pairs += [(k, v) for k, v in changes.items() if v is not None]
    return request.url.path + (f"?{urlencode(pairs)}" if pairs else "")


def see_other(url: str) -> RedirectResponse:
    """After a form's post, the page to show (303: the browser gets it)."""
    response = RedirectResponse(url, status_code=303)
    response.headers.update(HEADERS)
    return response


def page_links(request: Request, page: TablePage[Any] | None) -> dict[str, str | None]:
    """`previous_href` and `next_href` of a table page: this address with the cursor
    to the page before or after (None where there is none)."""
    return {
        "previous_href": here(request, before=page.previous_cursor, after=None)
        if page and page.previous_cursor
        else None,
        "next_href": here(request, after=page.next_cursor, before=None)
        if page and page.next_cursor
        else None,
    }
