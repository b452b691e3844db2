"""The dashboard's routes answer every refusal with a page, never JSON.

No session: a GET is sent to the sign-in form (303, coming back afterwards); a
POST gets 401 with a link to it. Any other refusal of the rules (403 role or
CSRF, 404, 409, 429 ...) is a page in the organiser's language with the
service's reason and a way back to the dashboard.
"""

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.dashboard.auth import SIGN_IN_PATH, SignInRequired, sign_in_address
from app.dashboard.rendering import HEADERS, render_page
from app.kit.errors import AppError
from app.web.i18n import N_

TITLES: dict[int, str] = {
    401: N_("Please sign in"),
    403: N_("You cannot do this"),
    404: N_("Page not found"),
    409: N_("This cannot be done now"),
    413: N_("This file is too large"),
    422: N_("This page could not be shown"),
    429: N_("Too many requests"),
}
# Reasons shown in the organiser's language, by code; others show the service's text.
REASONS: dict[str, str] = {
    "unauthorized": N_("Your session has ended or you are not signed in."),
    "forbidden": N_("Your role does not allow this. Ask an owner if you need it."),
    "csrf_failed": N_(
        "This form had expired or did not come from this site. "
        "Please go back, reload the page and try again."
    ),
    "not_found": N_("Check the address, or go back to the events."),
    "rate_limited": N_("Too many failed sign-ins; please wait before trying again."),
    "bad_request": N_("Check the address, or go back to the events."),
    "payload_too_large": N_(
        "The file is too large: send at most 1,000 invitations, 2 MB, at a time."
    ),
}


def refusal(request: Request, *, status_code: int, code: str, detail: str) -> Response:
    return render_page(
        request,
        "dashboard/message.html",
        {
            "title": TITLES.get(status_code, N_("This cannot be done now")),
            "reason": REASONS.get(code),
            "detail": detail,
            # A post cannot be replayed after signing in: the form, without `next`.
            "sign_in_href": SIGN_IN_PATH if status_code == 401 else None,
        },
        status_code=status_code,
    )


class DashboardRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_as_page(request: Request) -> Response:
            try:
                return await handle(request)
            except SignInRequired as error:
                if request.method in {"GET", "HEAD"}:
                    redirect = RedirectResponse(sign_in_address(request), status_code=303)
                    redirect.headers.update(HEADERS)
                    return redirect
                return refusal(request, status_code=401, code=error.code, detail=error.detail)
            except AppError as error:
                response = refusal(
                    request, status_code=error.status_code, code=error.code, detail=error.detail
                )
                response.headers.update(error.headers or {})
                return response
            except RequestValidationError:
                return refusal(request, status_code=422, code="bad_request", detail="")
            except StarletteHTTPException as error:
                return refusal(
                    request, status_code=error.status_code, code="bad_request", detail=""
                )

        return handle_as_page


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


def dashboard_router() -> APIRouter:
    """A router for dashboard pages: no OpenAPI entries, refusals as pages."""
    return APIRouter(include_in_schema=False, route_class=DashboardRoute)
