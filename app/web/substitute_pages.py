"""The manage page's "send a colleague instead": a form for the colleague's details.

Same patterns as the edit and cancel forms (`app.web.pages`): no JavaScript,
CSRF-checked, errors shown with the form again, Post/Redirect/Get. The rules
are `app.substitutions`'.
"""

from functools import partial

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from app.deps import ClockDep, RegistrantWrite, SessionDep, SigningKeyDep
from app.kit.errors import AlreadyRegistered
from app.registrations import service as registrations
from app.registrations.schemas import CONSENT_VERSION
from app.substitutions import service as substitutions
from app.web.forms import parse_substitute
from app.web.i18n import N_
from app.web.pages import (
    FormRefused,
    HtmlErrorRoute,
    _form,
    read_post,
    registrant_form,
)
from app.web.rendering import PageContextDep

ALREADY_REGISTERED = N_(
    "This e-mail address is already registered for this event. "
    "Enter the address of a colleague who is not registered yet."
)

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)


_substitute_page = partial(
    registrant_form,
    template="substitute.html",
    # The colleague's e-mails in the page's language unless they choose another.
    initial=lambda page, _: {"language": page.lang.value},
    check=registrations.ensure_self_cancellable,
    consent_version=CONSENT_VERSION,
)


@router.get("/r/{token}/substitute", response_class=HTMLResponse)
async def substitute_page(token: str, page: PageContextDep, session: SessionDep) -> HTMLResponse:
    return await _substitute_page(page, session, token)


@router.post("/r/{token}/substitute", response_model=None, dependencies=[RegistrantWrite])
async def substitute(
    token: str,
    request: Request,
    page: PageContextDep,
    session: SessionDep,
    clock: ClockDep,
    key: SigningKeyDep,
) -> Response:
    form = await _form(request)
    colleague = read_post(page, form, partial(parse_substitute, page_language=page.lang))
    if isinstance(colleague, FormRefused):
        return await _substitute_page(
            page,
            session,
            token,
            values=form,
            errors=colleague.errors,
            status_code=colleague.status_code,
        )
    try:
        await substitutions.substitute(
            session, token=token, data=colleague, now=clock.now(), ticket_key=key
        )
    except AlreadyRegistered:
        errors = {"email": ALREADY_REGISTERED}
        return await _substitute_page(
            page, session, token, values=form, errors=errors, status_code=409
        )
    return page.redirect(f"/r/{token}?done=substituted")
