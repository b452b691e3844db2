"""HTML pages: the event and its sign-up form, the result, and the registrant's manage page.

Every rule lives in the domain packages (events, registrations); these handlers
parse forms, call them and render. Pages work without JavaScript: each change is
a form post answered with a redirect (Post/Redirect/Get), or the form again with
its errors.
"""

import math
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.deps import (
    ClockDep,
    RegistrantWrite,
    SessionDep,
    SettingsDep,
    SigningKeyDep,
    SignupWrite,
)
from app.events import service as events
from app.kit.errors import AppError, InvalidTransition, http_error
from app.mail.i18n import written_languages
from app.models import Event, Language, Registration
from app.privacy import data as registrant_data
from app.privacy import verification
from app.registrations import offers
from app.registrations import service as registrations
from app.registrations.offers import Lapsed
from app.registrations.schemas import CONSENT_VERSION
from app.registrations.service import AwaitingVerification, Duplicate, Registered
from app.web import i18n
from app.web.forms import AFFILIATION_LABELS, M, Parsed, countries, parse_edit, parse_signup
from app.web.i18n import N_
from app.web.rendering import PageContext, PageContextDep, page_context, page_language
from app.web.security import CSRF_COOKIE, CSRF_FIELD, HONEYPOT_FIELD, STARTED_FIELD

# Errors from the domain rules, as a visitor reads them: (title, what to do).
ERROR_PAGES: dict[str, tuple[str, str]] = {
    "not_found": (N_("Page not found"), N_("Check the address, or use the link you were sent.")),
    "invalid_token": (
        N_("This link is not valid"),
        N_("Please use the link from your latest e-mail about this registration."),
    ),
    "registration_closed": (
        N_("Registration is closed"),
        N_("Registration for this event is not open."),
    ),
    "event_full": (N_("This event is full"), N_("There are no places left and no waitlist.")),
    "invitation_required": (
        N_("This event is by invitation only"),
        N_(
            "If you have been invited, please answer with the personal link "
            "in your invitation e-mail."
        ),
    ),
    "org_limit_reached": (
        N_("Your organisation has reached its limit"),
        N_(
            "This event takes a limited number of people per organisation. "
            "Please contact the organisers."
        ),
    ),
    "invalid_transition": (
        N_("This registration can no longer be changed"),
        N_("It has been cancelled or declined."),
    ),
    # Refusals that say more, keyed "code:stage" (the error's `stage`).
    "invalid_transition:checked_in": (
        N_("You have already checked in"),
        N_(
            "Your registration can no longer be cancelled, because you have checked in "
            "at the event. If you are leaving, please tell the organisers at the desk."
        ),
    ),
    "already_registered": (
        N_("You are already registered"),
        N_("Please use the link in the e-mails about your registration."),
    ),
    "offer_expired": (
        N_("The place offered to you has gone"),
        N_(
            "It was held for you until its deadline, and has gone to the next person on "
            "the waitlist. You are welcome to register again while registration is open."
        ),
    ),
    "invalid_transition:waitlisted": (
        N_("No place is offered to you"),
        N_("Your registration's page shows where it stands."),
    ),
    "verification_expired": (
        N_("This confirmation link has lapsed"),
        N_("A confirmation link works for 24 hours. Please register again to get a new one."),
    ),
    "invalid_transition:verified": (
        N_("Your e-mail address is already confirmed"),
        N_("Your registration has its place; the page of your registration shows it."),
    ),
    "rate_limited": (
        N_("Too many requests"),
        N_(
            "Too many forms have been sent from your network in a short time. "
            "Please wait a few minutes, then try again."
        ),
    ),
    "unexpected": (N_("Sorry, something went wrong"), N_("Please go back and try again.")),
    # Requests no page can answer (FastAPI's 422, the body limit's 413, the database away).
    "bad_request": (
        N_("This page could not be shown"),
        N_("Check the address, or use the link you were sent."),
    ),
    "payload_too_large": (
        N_("Your form is too long"),
        N_("Please shorten your answers, then send the form again."),
    ),
    "not_ready": (
        N_("The service is briefly unavailable"),
        N_("Please try again in a minute."),
    ),
}
# Sign-ups answered with a message rather than the manage page (a duplicate has its
# own, `_already_registered`): (status, title, message).
SIGNUP_OUTCOMES: dict[type, tuple[int, str, str]] = {
    AwaitingVerification: (
        202,
        N_("Check your e-mail"),
        N_(
            "We have e-mailed you a link to confirm your e-mail address. "
            "Your registration takes its place only once you have confirmed it, "
            "within 24 hours."
        ),
    ),
}
DONE_MESSAGES = {
    "signed-up": N_(
        "Thank you for registering. We have e-mailed you the link to this page: "
        "keep it to change or cancel your registration."
    ),
    "updated": N_("Your details have been updated."),
    "cancelled": N_("Your registration has been cancelled."),
    "substituted": N_(
        "Your place has been passed to your colleague, and your registration is cancelled. "
        "We have e-mailed them the link to their own registration."
    ),
    "verified": N_("Thank you: your e-mail address is confirmed."),
    "offer-accepted": N_("Thank you: the place is yours."),
    "offer-declined": N_(
        "You have declined the place; it goes to the next person on the waitlist."
    ),
    "guest-removed": N_("Your guest has been removed, and their place freed."),
    "accepted": N_(
        "Thank you for accepting the invitation. We have e-mailed you the link to this page: "
        "keep it to change or cancel your registration."
    ),
}


def onward(request: Request, *, known: bool = True) -> tuple[str, str]:
    """Where a message page sends the visitor next: (address, link text).

    Back to the registrant's page when the address has a token, else to the
    address's event; when the address itself is unknown (`known` False), to the
    default event's page.
    """
    lang = f"?lang={page_language(request).value}"
    params = request.path_params if known else {}
    if params.get("token") and request.url.path.startswith("/i/"):
        return f"/i/{params['token']}{lang}", N_("Back to your invitation")
    if params.get("token"):
        return f"/r/{params['token']}{lang}", N_("Back to your registration")
    slug = params.get("slug") or request.app.state.settings.default_event_slug
    return f"/events/{slug}{lang}", N_("Go to the event page")


def message_page(
    request: Request, *, title: str, message: str, status_code: int, known: bool = True
) -> HTMLResponse:
    """A page that says one thing, with a link onward (never a dead end)."""
    href, label = onward(request, known=known)
    return page_context(request).render(
        "message.html",
        status_code=status_code,
        title=title,
        message=message,
        onward_href=href,
        onward_label=label,
    )


# A token that is unknown (or a page that is not there) cannot lead back to itself.
_NO_WAY_BACK = frozenset({"not_found", "invalid_token", "bad_request"})


class HtmlErrorRoute(APIRoute):
    """Answers a service's refusal with an HTML page in the visitor's language, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_on_page(request: Request) -> Response:
            try:
                return await handle(request)
            except AppError as error:
                specific = f"{error.code}:{error.extra.get('stage')}"
                title, message = ERROR_PAGES.get(
                    specific, ERROR_PAGES.get(error.code, ERROR_PAGES["unexpected"])
                )
                response = message_page(
                    request,
                    title=title,
                    message=message,
                    status_code=error.status_code,
                    known=error.code not in _NO_WAY_BACK,
                )
                response.headers.update(error.headers or {})
                return response
            except RequestValidationError:
                return error_page(request, "bad_request", status_code=422)
            except StarletteHTTPException as error:
                # E.g. a multipart form without its boundary, which Starlette cannot read.
                return error_page(request, "bad_request", status_code=error.status_code)

        return handle_on_page


def error_page(request: Request, code: str, *, status_code: int) -> HTMLResponse:
    title, message = ERROR_PAGES[code]
    return message_page(
        request,
        title=title,
        message=message,
        status_code=status_code,
        known=code not in _NO_WAY_BACK,
    )


def is_page_address(path: str) -> bool:
    """Whether a browser address belongs to the pages: anything outside /api."""
    return path != "/api" and not path.startswith("/api/")


async def unknown_address(request: Request, exc: Exception) -> Response:
    """An address nobody serves: outside /api, the error page; inside, the API's JSON.

    Only 404: a method a page does not take (405) is no browser's doing, and
    keeps its JSON answer with `Allow`.
    """
    assert isinstance(exc, StarletteHTTPException)
    if is_page_address(request.url.path) and exc.status_code == 404:
        return error_page(request, "not_found", status_code=404)
    return await http_error(request, exc)


router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)


def refusal_page(request: Request, code: str, *, status_code: int) -> HTMLResponse | None:
    """A refusal made outside the routes, as a page in the page's language, for a
    page's address; None for any other address (the API's JSON answer stands).

    Called by middleware, before routing or after it failed, hence the match by hand,
    over the routers of pages the app names in `state.page_routers`.
    """
    routers: tuple[APIRouter, ...] = request.app.state.page_routers
    routes = (route for page_router in routers for route in page_router.routes)
    if not any(route.matches(request.scope)[0] != Match.NONE for route in routes):
        return None
    return error_page(request, code, status_code=status_code)


def too_large_page(request: Request) -> HTMLResponse | None:
    """The body limit's 413 (`app.kit.middleware.BodySizeLimit`)."""
    return refusal_page(request, "payload_too_large", status_code=413)


def unavailable_page(request: Request) -> HTMLResponse | None:
    """The database outage's 503 (`app.kit.middleware.DatabaseOutageGuard`)."""
    return refusal_page(request, "not_ready", status_code=503)


# Any text: a token that cannot exist is the same "not valid" page as an unknown one.
Token = str


def _when(starts: datetime, ends: datetime, zone: str, lang: Language) -> dict[str, str]:
    tz = ZoneInfo(zone)
    starts, ends = starts.astimezone(tz), ends.astimezone(tz)
    return {"date": i18n.event_date(starts, lang), "times": i18n.event_times(starts, ends, lang)}


def _choices(page: PageContext) -> dict[str, Any]:
    return {
        "affiliations": [
            (kind.value, page.gettext(label)) for kind, label in AFFILIATION_LABELS.items()
        ],
        "countries": countries(page.lang),
        "language_names": [(lang.value, i18n.native_name(lang), lang.value) for lang in Language],
        # Named on the form until e-mails exist in every language.
        "mail_languages": (
            []
            if set(written_languages()) >= {lang.value for lang in Language}
            else [(code, i18n.native_name(Language(code))) for code in written_languages()]
        ),
    }


async def _form(request: Request) -> dict[str, str]:
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


# Why a post is refused before it is read: (status, message). The form is shown
# again with what was typed, so nothing is lost to an expired page or a lost cookie.
_EXPIRED = (
    403,
    N_(
        "For your security, the form had expired or your browser did not send its cookie. "
        "Please allow cookies for this site, check your details and send the form again."
    ),
)
_HONEYPOT = (400, N_("Please leave the field marked “leave this empty” empty and try again."))


def _refusal(page: PageContext, form: dict[str, str]) -> tuple[int, str] | None:
    """Why the post is refused (it fails CSRF, or a bot filled the honeypot); else None."""
    if not page.guard.csrf_valid(
        cookie=page.request.cookies.get(CSRF_COOKIE), token=form.get(CSRF_FIELD)
    ):
        return _EXPIRED
    if form.get(HONEYPOT_FIELD):
        return _HONEYPOT
    return None


@dataclass(frozen=True)
class FormRefused:
    """Why a form's post is not taken: the status, and the errors to show with it again."""

    status_code: int
    errors: dict[str, str]


def read_post(
    page: PageContext, form: dict[str, str], parse: Callable[[dict[str, str]], Parsed[M]]
) -> M | FormRefused:
    """A form's post, parsed; or refused: failing CSRF or filling the honeypot (one
    message for the whole form), or with errors in its fields (422)."""
    if (refusal := _refusal(page, form)) is not None:
        status_code, message = refusal
        return FormRefused(status_code, {"": message})
    parsed = parse(form)
    if parsed.data is None:
        return FormRefused(422, parsed.errors)
    return parsed.data


@router.get("/")
async def home(settings: SettingsDep) -> RedirectResponse:
    return RedirectResponse(f"/events/{settings.default_event_slug}", status_code=307)


async def _event_page(
    page: PageContext,
    session: SessionDep,
    slug: str,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    event = await events.get_event(session, slug)
    info = await events.read_event(session, event, page.clock.now())
    return page.render(
        "event.html",
        status_code=status_code,
        event=info,
        when=_when(info.starts_at, info.ends_at, info.timezone, page.lang),
        values=values,
        errors=errors,
        consent_version=CONSENT_VERSION,
        **_choices(page),
    )


@router.get("/events/{slug}", response_class=HTMLResponse)
async def event_page(slug: str, page: PageContextDep, session: SessionDep) -> HTMLResponse:
    return await _event_page(page, session, slug, values={"language": page.lang}, errors={})


@router.post("/events/{slug}", response_model=None, dependencies=[SignupWrite])
async def sign_up(
    slug: str,
    request: Request,
    page: PageContextDep,
    session: SessionDep,
    clock: ClockDep,
    key: SigningKeyDep,
) -> Response:
    form = await _form(request)
    if (refusal := _refusal(page, form)) is not None:
        status_code, message = refusal
        return await _event_page(
            page, session, slug, values=form, errors={"": message}, status_code=status_code
        )
    if page.guard.filled_too_fast(form.get(STARTED_FIELD), clock.now()):
        errors = {"": N_("Please check your details, then send the form again.")}
        return await _event_page(page, session, slug, values=form, errors=errors, status_code=400)
    parsed = parse_signup(form, page_language=page.lang)
    if parsed.data is None:
        return await _event_page(
            page, session, slug, values=form, errors=parsed.errors, status_code=422
        )
    result = await registrations.register(
        session, event_slug=slug, data=parsed.data, now=clock.now(), ticket_key=key
    )
    if isinstance(result, Duplicate):
        return _already_registered(page, result)
    if not isinstance(result, Registered):
        status_code, title, message = SIGNUP_OUTCOMES[type(result)]
        return page.render("message.html", status_code=status_code, title=title, message=message)
    return page.redirect(f"/r/{result.manage_token}?done=signed-up")


def _already_registered(page: PageContext, duplicate: Duplicate) -> HTMLResponse:
    """Says the link was e-mailed again only when it was; else when it can be asked again."""
    if duplicate.resend_after is None:
        text = page.gettext(
            "This e-mail address is already registered for this event. "
            "We have e-mailed you the link to your registration again."
        )
    else:
        seconds = (duplicate.resend_after - page.clock.now()).total_seconds()
        minutes = max(1, math.ceil(seconds / 60))
        text = i18n.translations(page.lang).ngettext(
            "This e-mail address is already registered for this event. We e-mailed you the "
            "link to your registration a few minutes ago, so we have not sent it again: please "
            "check your inbox and spam folder. You can ask for it again in %(num)d minute.",
            "This e-mail address is already registered for this event. We e-mailed you the "
            "link to your registration a few minutes ago, so we have not sent it again: please "
            "check your inbox and spam folder. You can ask for it again in %(num)d minutes.",
            minutes,
        ) % {"num": minutes}
    href, label = onward(page.request)
    return page.render(
        "message.html",
        status_code=409,
        title=N_("You are already registered"),
        message_text=text,
        onward_href=href,
        onward_label=label,
    )


def _offer_deadline(registration: Registration, page: PageContext) -> str | None:
    """The open offer's deadline, in the event's time zone and the page's language."""
    expires = registration.offer_expires_at
    if not registration.holds_offer or expires is None or expires <= page.clock.now():
        return None
    local = expires.astimezone(ZoneInfo(registration.event.timezone))
    return i18n.event_moment(local, page.lang)


def _registration_view(page: PageContext, registration: Registration) -> dict[str, Any]:
    event: Event = registration.event
    names = dict(countries(page.lang))
    return {
        "registration": registration,
        "event": event,
        "when": _when(event.starts_at, event.ends_at, event.timezone, page.lang),
        "active": registration.is_active,
        "registration_open": event.registration_open_at(page.clock.now()),
        "cancellable": registration.is_active and registration.checked_in_at is None,
        "offer_deadline": _offer_deadline(registration, page),
        "affiliation": page.gettext(AFFILIATION_LABELS[registration.affiliation_type]),
        "country": names.get(registration.country or "", ""),
        "language_name": i18n.native_name(registration.language),
        "consented_on": (
            i18n.event_date(registration.consented_at, page.lang)
            if registration.consented_at
            else ""
        ),
    }


async def _changeable(session: SessionDep, token: str) -> Registration:
    registration = await registrations.get_by_token(session, token)
    if not registration.is_active:
        raise InvalidTransition(f"This registration is {registration.status}.")
    return registration


def _edit_values(registration: Registration) -> dict[str, str]:
    return {
        "given_name": registration.given_name,
        "family_name": registration.family_name,
        "organisation": registration.organisation,
        "job_title": registration.job_title or "",
        "affiliation_type": registration.affiliation_type.value,
        "country": registration.country or "",
        "has_un_grounds_pass": "yes" if registration.has_un_grounds_pass else "no",
        "accessibility_needs": registration.accessibility_needs or "",
        "language": registration.language.value,
    }


@router.get("/r/{token}", response_class=HTMLResponse)
async def manage_page(
    token: Token, page: PageContextDep, session: SessionDep, done: str | None = None
) -> HTMLResponse:
    registration = await registrations.get_by_token(session, token)
    return page.render(
        "manage.html",
        token=token,
        done=DONE_MESSAGES.get(done or ""),
        # An invitee's named guests (none for others, at no cost).
        companions=await registrations.companions_of(session, registration),
        **_registration_view(page, registration),
    )


async def registrant_form(
    page: PageContext,
    session: SessionDep,
    token: str,
    *,
    template: str,
    initial: Callable[[PageContext, Registration], dict[str, str]],
    check: Callable[[Registration], None] | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """A form about the registrant's active registration (`check` may refuse it too):
    filled with `initial` at first, then again with what was sent and its errors."""
    registration = await _changeable(session, token)
    if check is not None:
        check(registration)
    return page.render(
        template,
        status_code=status_code,
        token=token,
        values=values if values is not None else initial(page, registration),
        errors=errors or {},
        **_registration_view(page, registration),
        **_choices(page),
        **extra,
    )


_edit_page = partial(
    registrant_form,
    template="edit.html",
    initial=lambda _, registration: _edit_values(registration),
)


@router.get("/r/{token}/edit", response_class=HTMLResponse)
async def edit_page(token: Token, page: PageContextDep, session: SessionDep) -> HTMLResponse:
    return await _edit_page(page, session, token)


@router.post("/r/{token}/edit", response_model=None, dependencies=[RegistrantWrite])
async def edit(
    token: Token, request: Request, page: PageContextDep, session: SessionDep, clock: ClockDep
) -> Response:
    form = await _form(request)
    changes = read_post(page, form, parse_edit)
    if isinstance(changes, FormRefused):
        return await _edit_page(
            page,
            session,
            token,
            values=form,
            errors=changes.errors,
            status_code=changes.status_code,
        )
    await registrations.update_registration(session, token=token, changes=changes, now=clock.now())
    return page.redirect(f"/r/{token}?done=updated")


@router.get("/r/{token}/cancel", response_class=HTMLResponse)
async def cancel_page(token: Token, page: PageContextDep, session: SessionDep) -> HTMLResponse:
    registration = await _changeable(session, token)
    registrations.ensure_self_cancellable(registration)
    return page.render("cancel.html", token=token, **_registration_view(page, registration))


async def _confirmed_post(
    request: Request, page: PageContext, act: Callable[[], Awaitable[object]]
) -> HTMLResponse | None:
    """A button's post (no fields but the form's guards): refused, or `act` done (None)."""
    if (refusal := _refusal(page, await _form(request))) is not None:
        status_code, message = refusal
        title = ERROR_PAGES["bad_request"][0]
        return message_page(request, title=title, message=message, status_code=status_code)
    await act()
    return None


@router.post("/r/{token}/cancel", response_model=None, dependencies=[RegistrantWrite])
async def cancel(
    token: Token, request: Request, page: PageContextDep, session: SessionDep, clock: ClockDep
) -> Response:
    if (refusal := _refusal(page, await _form(request))) is not None:
        status_code, message = refusal
        registration = await _changeable(session, token)
        return page.render(
            "cancel.html",
            status_code=status_code,
            token=token,
            errors={"": message},
            **_registration_view(page, registration),
        )
    await registrations.cancel_by_token(session, token=token, now=clock.now())
    return page.redirect(f"/r/{token}?done=cancelled")


@router.get("/r/{token}/accept-offer", response_class=RedirectResponse)
@router.get("/r/{token}/decline-offer", response_class=RedirectResponse)
async def offer_links(token: Token, page: PageContextDep) -> RedirectResponse:
    """The offer e-mail's links lead to the page's buttons: a link that changed
    something would be followed by mail scanners."""
    return page.redirect(f"/r/{token}?lang={page.lang.value}#offer")


async def _offer_post(
    token: str,
    request: Request,
    page: PageContext,
    answer: Callable[[], Awaitable[Registration | Lapsed]],
    done: str,
) -> Response:
    if (refusal := _refusal(page, await _form(request))) is not None:
        status_code, message = refusal
        title = ERROR_PAGES["bad_request"][0]
        return message_page(request, title=title, message=message, status_code=status_code)
    if isinstance(await answer(), Lapsed):
        # A page, not a raised error: the lapse (and the seat passed on) is committed.
        title, message = ERROR_PAGES["offer_expired"]
        return message_page(request, title=title, message=message, status_code=409)
    return page.redirect(f"/r/{token}?done={done}")


@router.post("/r/{token}/accept-offer", response_model=None, dependencies=[RegistrantWrite])
async def accept_offer(
    token: Token, request: Request, page: PageContextDep, session: SessionDep, clock: ClockDep
) -> Response:
    answer = partial(offers.accept_offer, session, token=token, now=clock.now())
    return await _offer_post(token, request, page, answer, "offer-accepted")


@router.post("/r/{token}/decline-offer", response_model=None, dependencies=[RegistrantWrite])
async def decline_offer(
    token: Token, request: Request, page: PageContextDep, session: SessionDep, clock: ClockDep
) -> Response:
    answer = partial(offers.decline_offer, session, token=token, now=clock.now())
    return await _offer_post(token, request, page, answer, "offer-declined")


@router.post("/r/{token}/verify", response_model=None, dependencies=[RegistrantWrite])
async def verify(
    token: Token, request: Request, page: PageContextDep, session: SessionDep, clock: ClockDep
) -> Response:
    act = partial(verification.verify, session, token=token, now=clock.now())
    return await _confirmed_post(request, page, act) or page.redirect(f"/r/{token}?done=verified")


@router.get("/r/{token}/erase", response_class=HTMLResponse)
async def erase_page(token: Token, page: PageContextDep, session: SessionDep) -> HTMLResponse:
    registration = await registrations.get_by_token(session, token)
    return page.render("erase.html", token=token, **_registration_view(page, registration))


@router.post("/r/{token}/erase", response_model=None, dependencies=[RegistrantWrite])
async def erase(
    token: Token, request: Request, page: PageContextDep, session: SessionDep, clock: ClockDep
) -> Response:
    act = partial(registrant_data.erase, session, token=token, now=clock.now())
    return await _confirmed_post(request, page, act) or page.render(
        "message.html",
        title=N_("Your data has been erased"),
        message=N_(
            "Your personal details and the e-mails we sent you have been deleted, and the "
            "link to your registration no longer works. You are welcome to register again."
        ),
    )
