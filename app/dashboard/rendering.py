"""Rendering a dashboard page: its language and direction, navigation, CSRF field, headers.

The dashboard's templates sit beside the public pages' (whose form macros they
import). Its messages have a catalog of their own, `app/dashboard/translations`
(domain `dashboard`), which falls back to the public pages' catalog (for the
shared form texts), then to English: a language without a dashboard catalog,
or a message missing from one, shows in English.
"""

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context

from app.dashboard import csrf
from app.dashboard.auth import ROLE_NAMES, may
from app.dashboard.sessions import is_secure
from app.models import Language, OrganiserRole
from app.registrations.transitions import Action
from app.web import i18n
from app.web.rendering import page_language
from app.web.rendering import templates as public_templates
from app.web.security import CSRF_COOKIE, SECURITY_HEADERS

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "dashboard"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/admin/static"

# The public pages' policy, plus the dashboard's own script (served from /admin/static)
# and the JSON it polls: still nothing inline, nothing from elsewhere.
HEADERS = SECURITY_HEADERS | {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


@lru_cache
def translations(language: Language) -> NullTranslations:
    catalog = i18n.load_catalog(TRANSLATIONS_DIR, DOMAIN, language)
    catalog.add_fallback(i18n.translations(language))
    return catalog


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(context["lang"]).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(context["lang"]).ngettext(singular, plural, n)


def _environment() -> Jinja2Templates:
    public = public_templates.env
    assert public.loader is not None
    # An environment of its own (not an overlay: the i18n extension would install
    # the dashboard's gettext into the public pages' environment).
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(Path(__file__).parent / "templates"), public.loader]),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.globals.update(
        csrf_field=csrf.csrf_field,
        may=may,
        role_names=ROLE_NAMES,
        Action=Action,
        OrganiserRole=OrganiserRole,
    )
    env.filters.update(number=_number, percent=_percent)
    # Added by the i18n extension at run time, hence the ignore.
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return Jinja2Templates(env=env)


@pass_context
def _number(context: Context, value: int | float) -> str:
    return format_decimal(value, locale=i18n.locale(context["lang"]))


@pass_context
def _percent(context: Context, value: float) -> str:
    return format_percent(value, locale=i18n.locale(context["lang"]))


templates = _environment()


def language_links(request: Request) -> list[tuple[Language, str, str]]:
    """(language, its own name, this page in it) for the switcher."""
    base = request.url.path
    return [(lang, i18n.native_name(lang), f"{base}?lang={lang.value}") for lang in Language]


def render_page(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """The page in the request's language, with the dashboard's headers and cookies.

    The template gets `lang`, `dir`, `languages`, `organiser` (None when signed
    out), `may(organiser, role_or_action)` and `csrf_field()` besides `context`.
    """
    lang = page_language(request)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "dir": i18n.direction(lang),
            "languages": language_links(request),
            "organiser": getattr(request.state, "organiser", None),
            **context,
        },
        status_code=status_code,
    )
    return finish(request, response, lang)


def finish(request: Request, response: HTMLResponse, lang: Language) -> HTMLResponse:
    """Headers and cookies every dashboard page carries (rendered before: the CSRF
    field may have chosen a new pre-session cookie)."""
    response.headers.update(HEADERS)
    secure = is_secure(request)
    if request.query_params.get("lang") == lang.value:
        response.set_cookie(
            i18n.COOKIE,
            lang.value,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=secure,
        )
    if (cookie := csrf.new_pre_session_cookie(request)) is not None:
        response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="lax", secure=secure)
    return response


def gettext(request: Request, message: str) -> str:
    return translations(page_language(request)).gettext(message)
