"""The RSVP pages: an invitation, and the invitee's answer to it, without JavaScript.

`GET /i/{token}` shows a pending invitation with the accept form (pre-filled
from the invitation, its e-mail address fixed) and the ways not to come
(`/decline`, `/delegate`), each a page with its own form; an invitation that can
no longer be answered (accepted, declined, passed on, expired, withdrawn) gets
a page saying so and whom to ask. Posts follow the sign-up's patterns (CSRF,
errors shown with the form again, Post/Redirect/Get); every rule is
`app.invitations`'.
"""

import uuid
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_time, get_timezone_name
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from app.deps import ClockDep, InviteeWrite, RegistrantWrite, SessionDep, SigningKeyDep
from app.invitations import companions, reads
from app.invitations import service as invitations
from app.invitations.schemas import InviteeView
from app.kit.errors import AlreadyInvited, AlreadyRegistered, AppError, InvalidChange
from app.kit.text import full_name
from app.models import Invitation, InvitationStatus
from app.registrations.schemas import CONSENT_VERSION
from app.web import i18n
from app.web.i18n import N_
from app.web.pages import (
    FormRefused,
    HtmlErrorRoute,
    _choices,
    _confirmed_post,
    _form,
    _when,
    read_post,
)
from app.web.rendering import PageContext, PageContextDep
from app.web.rsvp.forms import companion_field, parse_accept, parse_decline, parse_delegate

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)

# What an invitation that can no longer be answered says: (title, message).
ANSWERED: dict[InvitationStatus, tuple[str, str]] = {
    InvitationStatus.accepted: (
        N_("You have accepted this invitation"),
        N_(
            "You are registered. The confirmation we e-mailed you has the link to your "
            "registration, where you find your ticket and can change or cancel it."
        ),
    ),
    InvitationStatus.declined: (
        N_("You have declined this invitation"),
        N_("Thank you for letting the organisers know. If you change your mind, please ask them."),
    ),
    InvitationStatus.delegated: (
        N_("You have passed this invitation on"),
        N_("The person you named has been sent an invitation of their own."),
    ),
    InvitationStatus.expired: (
        N_("The deadline to answer has passed"),
        N_(
            "This invitation could be answered until %(deadline)s. If you would still like "
            "to come, please ask the organisers."
        ),
    ),
    InvitationStatus.revoked: (
        N_("This invitation has been withdrawn"),
        N_("The organisers have withdrawn it. If you think this is a mistake, please ask them."),
    ),
}
# The answers' own result pages (`?done=`), said once, as the page's status.
DONE: dict[str, InvitationStatus] = {
    "declined": InvitationStatus.declined,
    "delegated": InvitationStatus.delegated,
}
# Refusals of the delegate that belong on the form's e-mail field.
DELEGATE_REFUSALS: dict[type[AppError], str] = {
    AlreadyInvited: N_("This person has been invited already."),
    AlreadyRegistered: N_("This person is registered for this event already."),
    InvalidChange: N_("Enter the address of someone else: this invitation is yours."),
}


def deadline_text(moment: datetime, zone: str, page: PageContext) -> str:
    """E.g. "Thursday, 3 October 2013, 18:00 (Eastern Daylight Time)", in the event's zone."""
    local = moment.astimezone(ZoneInfo(zone))
    where = i18n.locale(page.lang)
    time = format_time(local, "short", locale=where)
    return f"{i18n.event_date(local, page.lang)}, {time} ({get_timezone_name(local, locale=where)})"


async def _view(session: SessionDep, invitation: Invitation, page: PageContext) -> InviteeView:
    return await reads.invitee_view(session, invitation, page.clock.now())


def _context(page: PageContext, view: InviteeView, token: str) -> dict[str, Any]:
    event = view.event
    return {
        "token": token,
        "invitation": view,
        "event": event,
        "when": _when(event.starts_at, event.ends_at, event.timezone, page.lang),
        "deadline": deadline_text(view.respond_by, event.timezone, page),
        "contact_email": event.contact_email,
    }


def _prefilled(view: InviteeView, page: PageContext) -> dict[str, str]:
    return {
        "given_name": view.given_name,
        "family_name": view.family_name,
        "organisation": view.organisation or "",
        "affiliation_type": view.affiliation_type.value if view.affiliation_type else "",
        "language": view.language.value if view.language else page.lang.value,
    }


async def _answered(
    page: PageContext, session: SessionDep, view: InviteeView, token: str, *, done: str | None
) -> HTMLResponse:
    """The page of an invitation that can no longer be answered: what happened, whom to ask."""
    title, message = ANSWERED[view.status]
    delegate = None
    if view.status == InvitationStatus.delegated and view.delegated_to is not None:
        delegate = await session.get(Invitation, view.delegated_to)
    context = _context(page, view, token)
    return page.render(
        "rsvp/answered.html",
        title=title,
        message_text=page.gettext(message) % {"deadline": context["deadline"]},
        delegate=full_name(delegate) if delegate else None,
        announce=done is not None,
        **context,
    )


async def _invitation_page(
    page: PageContext,
    session: SessionDep,
    token: str,
    *,
    template: str = "rsvp/invitation.html",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    done: str | None = None,
) -> HTMLResponse:
    """A pending invitation's page (`template`: the invitation with its accept form, or
    the decline or delegate form), or the page saying it can no longer be answered."""
    view = await _view(session, await invitations.by_token(session, token), page)
    if view.status != InvitationStatus.pending:
        return await _answered(page, session, view, token, done=done)
    return page.render(
        template,
        status_code=status_code,
        values=values if values is not None else _prefilled(view, page),
        errors=errors or {},
        guests=[
            {name: companion_field(number, name) for name in ("given_name", "family_name")}
            | {"number": str(number), "pass": companion_field(number, "has_un_grounds_pass")}
            for number in range(1, view.companions_allowed + 1)
        ],
        consent_version=CONSENT_VERSION,
        **_context(page, view, token),
        **_choices(page),
    )


@router.get("/i/{token}", response_class=HTMLResponse)
async def invitation_page(
    token: str, page: PageContextDep, session: SessionDep, done: str | None = None
) -> HTMLResponse:
    return await _invitation_page(page, session, token, done=done if done in DONE else None)


@router.get("/i/{token}/decline", response_class=HTMLResponse)
async def decline_page(token: str, page: PageContextDep, session: SessionDep) -> HTMLResponse:
    return await _invitation_page(page, session, token, template="rsvp/decline.html", values={})


@router.get("/i/{token}/delegate", response_class=HTMLResponse)
async def delegate_page(token: str, page: PageContextDep, session: SessionDep) -> HTMLResponse:
    view = await _view(session, await invitations.by_token(session, token), page)
    values = {"language": view.language.value}
    template = "rsvp/delegate.html" if view.allow_delegation else "rsvp/personal.html"
    return await _invitation_page(page, session, token, template=template, values=values)


async def _refused(
    page: PageContext,
    session: SessionDep,
    token: str,
    template: str,
    form: dict[str, str],
    refused: FormRefused,
) -> HTMLResponse:
    return await _invitation_page(
        page,
        session,
        token,
        template=template,
        values=form,
        errors=refused.errors,
        status_code=refused.status_code,
    )


@router.post("/i/{token}/accept", response_model=None, dependencies=[InviteeWrite])
async def accept(
    token: str,
    request: Request,
    page: PageContextDep,
    session: SessionDep,
    clock: ClockDep,
    key: SigningKeyDep,
) -> Response:
    form = await _form(request)
    invitation = await invitations.by_token(session, token)
    parse = partial(
        parse_accept, companions_allowed=invitation.companions_allowed, page_language=page.lang
    )
    body = read_post(page, form, parse)
    if isinstance(body, FormRefused):
        return await _refused(page, session, token, "rsvp/invitation.html", form, body)
    try:
        accepted = await invitations.accept(
            session, token=token, body=body, now=clock.now(), ticket_key=key
        )
    except AppError as error:
        if error.code not in {"invalid_transition", "invitation_expired"}:
            raise
        return await _status_after_refusal(page, session, token)
    return page.redirect(f"/r/{accepted.manage_token}?done=accepted")


async def _status_after_refusal(page: PageContext, session: SessionDep, token: str) -> HTMLResponse:
    """An invitation answered meanwhile, withdrawn or past its deadline, or one that may
    not be passed on: the page that says so (409)."""
    view = await _view(session, await invitations.by_token(session, token), page)
    if view.status == InvitationStatus.pending:
        return await _invitation_page(
            page, session, token, template="rsvp/personal.html", status_code=409
        )
    response = await _answered(page, session, view, token, done=None)
    response.status_code = 409
    return response


@router.post("/i/{token}/decline", response_model=None, dependencies=[InviteeWrite])
async def decline(
    token: str, request: Request, page: PageContextDep, session: SessionDep, clock: ClockDep
) -> Response:
    form = await _form(request)
    body = read_post(page, form, parse_decline)
    if isinstance(body, FormRefused):
        return await _refused(page, session, token, "rsvp/decline.html", form, body)
    try:
        await invitations.decline(session, token=token, note=body.note, now=clock.now())
    except AppError as error:
        if error.code not in {"invalid_transition", "invitation_expired"}:
            raise
        return await _status_after_refusal(page, session, token)
    return page.redirect(f"/i/{token}?done=declined")


@router.post("/i/{token}/delegate", response_model=None, dependencies=[InviteeWrite])
async def delegate(
    token: str, request: Request, page: PageContextDep, session: SessionDep, clock: ClockDep
) -> Response:
    form = await _form(request)
    body = read_post(page, form, parse_delegate)
    if isinstance(body, FormRefused):
        return await _refused(page, session, token, "rsvp/delegate.html", form, body)
    try:
        await invitations.delegate(session, token=token, body=body, now=clock.now())
    except AppError as error:
        field_error = next(
            (text for kind, text in DELEGATE_REFUSALS.items() if isinstance(error, kind)), None
        )
        if field_error is not None:
            refused = FormRefused(error.status_code, {"email": field_error})
            return await _refused(page, session, token, "rsvp/delegate.html", form, refused)
        if error.code not in {"invalid_transition", "invitation_expired"}:
            raise
        return await _status_after_refusal(page, session, token)
    return page.redirect(f"/i/{token}?done=delegated")


@router.post(
    "/r/{token}/companions/{companion_id}/remove",
    response_model=None,
    dependencies=[RegistrantWrite],
)
async def remove_companion(
    token: str,
    companion_id: uuid.UUID,
    request: Request,
    page: PageContextDep,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """An invitee removes one of their guests, from their manage page."""
    act = partial(
        companions.cancel_companion,
        session,
        token=token,
        companion_id=companion_id,
        now=clock.now(),
    )
    refused = await _confirmed_post(request, page, act)
    return refused or page.redirect(f"/r/{token}?done=guest-removed")
