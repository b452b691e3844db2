"""The page language: negotiation, gettext catalogs and locale-aware formatting.

Catalogs are the committed `.po` files, compiled in memory on first use, so a
fresh clone needs no build step and a stale `.mo` can never be served.
"""

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time, get_timezone_name
from babel.support import NullTranslations

from app.mail.i18n import compiled_po
from app.models import Language

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"
COOKIE = "lang"
DEFAULT = Language.en

# UN house style writes British English, so dates read "Friday, 4 October 2013".
_FORMAT_LOCALES = {Language.en: "en_GB"}


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where it is shown."""
    return message


def load_catalog(directory: Path, domain: str, language: Language) -> NullTranslations:
    """`directory/<lang>/LC_MESSAGES/<domain>.po` compiled in memory (none: untranslated)."""
    po = directory / language.value / "LC_MESSAGES" / f"{domain}.po"
    return compiled_po(po, language=language.value, domain=domain)


@lru_cache
def translations(language: Language) -> NullTranslations:
    return load_catalog(TRANSLATIONS_DIR, DOMAIN, language)


@lru_cache
def locale(language: Language) -> Locale:
    return Locale.parse(_FORMAT_LOCALES.get(language, language.value))


def direction(language: Language) -> str:
    return "rtl" if locale(language).text_direction == "rtl" else "ltr"


def native_name(language: Language) -> str:
    name = Locale.parse(language.value).get_display_name(language.value) or language.value
    return name[:1].upper() + name[1:]


def _known(code: str | None) -> Language | None:
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    return Language(primary) if primary in {language.value for language in Language} else None


def _accepted(header: str) -> list[str]:
    """Accept-Language ranges, most wanted first (RFC 9110 q-values; q=0 means no)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(*, query: str | None, cookie: str | None, accept_language: str | None) -> Language:
    """`?lang=` first, then the cookie, then the browser's Accept-Language, then English."""
    for choice in (query, cookie):
        if (language := _known(choice)) is not None:
            return language
    for tag in _accepted(accept_language or ""):
        if (language := _known(tag)) is not None:
            return language
    return DEFAULT


def event_date(moment: datetime, language: Language) -> str:
    return format_date(moment, "full", locale=locale(language))


def event_times(starts: datetime, ends: datetime, language: Language) -> str:
    where = locale(language)
    start, end = (format_time(t, "short", locale=where) for t in (starts, ends))
    zone = get_timezone_name(starts, locale=where)
    # Chinese sets its brackets full width, as the rest of its punctuation.
    opening, closing = ("（", "）") if language == Language.zh else (" (", ")")
    return f"{start}\N{EN DASH}{end}{opening}{zone}{closing}"


def event_moment(moment: datetime, language: Language) -> str:
    """A date and time with its zone (a deadline), e.g. "Thursday, 3 October 2013, 13:15 (EDT)"."""
    where = locale(language)
    zone = get_timezone_name(moment, locale=where)
    opening, closing = ("（", "）") if language == Language.zh else (" (", ")")
    time = format_time(moment, "short", locale=where)
    return f"{event_date(moment, language)}, {time}{opening}{zone}{closing}"


def territory_names(language: Language) -> dict[str, str]:
    return dict(locale(language).territories)
