"""CSRF protection for the dashboard's forms: a synchronizer token tied to the session.

Every form carries `csrf_token` = HMAC(app key, the session cookie's value). Only
the browser holding the session can know it (the cookie is HttpOnly and sent to
no other site), and it changes with every session, so a token seen once is no
use after sign-out. The sign-in form, before there is a session, is bound the
same way to the public pages' random CSRF cookie (`app.web.security`). Scripts
may send the token in an `X-CSRF-Token` header instead of the form field.

A POST whose token is missing or wrong is refused with 403 before it is acted on.
"""

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from app.dashboard import sessions
from app.kit.errors import Forbidden
from app.web.security import CSRF_COOKIE, CSRF_FIELD, FormGuard

HEADER = "X-CSRF-Token"


class CsrfRefused(Forbidden):
    code = "csrf_failed"


def _binding(request: Request) -> str | None:
    """What the token is tied to: the session, else the pre-session cookie."""
    return sessions.session_token(request) or request.cookies.get(CSRF_COOKIE) or None


def _sign(request: Request, binding: str) -> str:
    key: str = request.app.state.signing_key
    message = f"dashboard-csrf:{binding}".encode("utf-8", "surrogatepass")
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def new_pre_session_cookie(request: Request) -> str | None:
    """The pre-session cookie this response must set (None when the browser has one)."""
    value: str | None = getattr(request.state, "new_csrf_cookie", None)
    return value


def csrf_token(request: Request) -> str:
    """The token for this browser's forms; a browser with neither cookie gets a
    pre-session one (`render_page` sets it)."""
    binding = _binding(request) or new_pre_session_cookie(request)
    if binding is None:
        binding = request.state.new_csrf_cookie = FormGuard.new_csrf_cookie()
    return _sign(request, binding)


@pass_context
def csrf_field(context: Context) -> Markup:
    """The hidden input every dashboard form carries: `{{ csrf_field() }}`."""
    token = csrf_token(context["request"])
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


async def check_csrf(request: Request) -> None:
    binding = _binding(request)
    sent = request.headers.get(HEADER)
    if sent is None:
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if (
        binding is None
        or not sent
        or not hmac.compare_digest(
            sent.encode("utf-8", "surrogatepass"), _sign(request, binding).encode()
        )
    ):
        raise CsrfRefused(
            "This form had expired or did not come from this site. "
            "Please go back, reload the page and try again."
        )


CsrfProtected = Annotated[None, Depends(check_csrf)]
