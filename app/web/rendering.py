"""Rendering a page: its language, its hidden form values, its cookies and headers."""

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from app.config import Settings
from app.kit.clock import Clock
from app.models import Language
from app.web import i18n
from app.web.security import CSRF_COOKIE, SECURITY_HEADERS, FormGuard

R = TypeVar("R", bound=Response)

STATIC_DIR = Path(__file__).parent / "static"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.add_extension("jinja2.ext.i18n")


@pass_context
def _gettext(context: Context, message: str) -> str:
    return i18n.translations(context["lang"]).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return i18n.translations(context["lang"]).ngettext(singular, plural, n)


# The i18n extension adds this method to the environment at run time, hence the ignore.
templates.env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]


def form_guard(key: str, settings: Settings) -> FormGuard:
    return FormGuard(
        key,
        min_fill_time=timedelta(seconds=settings.form_min_fill_seconds),
        max_fill_time=timedelta(hours=settings.form_max_fill_hours),
    )


@dataclass
class PageContext:
    """What every page needs to know about the request it answers."""

    request: Request
    lang: Language
    guard: FormGuard
    clock: Clock
    csrf_cookie: str
    secure_cookies: bool
    cookies: dict[str, str] = field(default_factory=dict)

    def gettext(self, message: str) -> str:
        return i18n.translations(self.lang).gettext(message)

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        base = self.request.url.path
        response = templates.TemplateResponse(
            self.request,
            template,
            {
                "lang": self.lang,
                "dir": i18n.direction(self.lang),
                "languages": [
                    (language, i18n.native_name(language), f"{base}?lang={language.value}")
                    for language in Language
                ],
                "csrf_token": self.guard.csrf_token(self.csrf_cookie),
                "form_started": self.guard.started_stamp(self.clock.now()),
                **context,
            },
            status_code=status_code,
        )
        return self._finish(response)

    def redirect(self, url: str) -> RedirectResponse:
        return self._finish(RedirectResponse(url, status_code=303))

    def _finish(self, response: R) -> R:
        for name, value in self.cookies.items():
            response.set_cookie(
                name,
                value,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="lax",
                secure=self.secure_cookies,
            )
        response.headers.update(SECURITY_HEADERS)
        return response


def page_language(request: Request) -> Language:
    return i18n.negotiate(
        query=request.query_params.get("lang"),
        cookie=request.cookies.get(i18n.COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


def page_context(request: Request) -> PageContext:
    state = request.app.state
    lang = page_language(request)
    cookies: dict[str, str] = {}
    if request.query_params.get("lang") == lang.value:
        cookies[i18n.COOKIE] = lang.value
    csrf_cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not csrf_cookie:
        csrf_cookie = cookies[CSRF_COOKIE] = FormGuard.new_csrf_cookie()
    return PageContext(
        request=request,
        lang=lang,
        # A form's fill-time stamp is good only for this form (the sign-up form is
        # the event's: /events/{slug}) and this browser (its CSRF cookie).
        guard=state.form_guard.bound(
            form=str(request.path_params.get("slug", "")), csrf_cookie=csrf_cookie
        ),
        clock=state.clock,
        csrf_cookie=csrf_cookie,
        # Behind a TLS-terminating proxy the request looks like plain HTTP; BASE_URL knows.
        secure_cookies=state.settings.base_url.startswith("https://"),
        cookies=cookies,
    )


PageContextDep = Annotated[PageContext, Depends(page_context)]
