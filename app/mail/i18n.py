"""The texts of registrant e-mails per language, and dates shown the local way."""

import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_name

LOCALES_DIR = Path(__file__).parent / "locales"
FALLBACK = "en"
# Dates the UN way, as on the pages: "Friday, 4 October 2013", not the US order.
_FORMAT_LOCALES = {"en": "en_GB"}
EN_DASH = " \u2013 "


def mail_language(language: str) -> str:
    """The language to write in: the registrant's, or English until it is translated."""
    return language if (LOCALES_DIR / f"{language}.toml").is_file() else FALLBACK


def written_languages() -> list[str]:
    """The languages e-mails exist in (each has its catalog), sorted."""
    return sorted(path.stem for path in LOCALES_DIR.glob("*.toml"))


@cache
def catalog(language: str) -> dict[str, object]:
    with (LOCALES_DIR / f"{mail_language(language)}.toml").open("rb") as file:
        return tomllib.load(file)


def texts(language: str, kind: str, **values: object) -> dict[str, str]:
    """The common texts and the kind's own (`subject`, `lead`), placeholders filled in."""
    entries = catalog(language)
    own = entries[kind]
    assert isinstance(own, dict)
    common = {key: value for key, value in entries.items() if isinstance(value, str)}
    return {key: str(text).format_map(values) for key, text in (common | own).items()}


def event_time(starts_at: datetime, ends_at: datetime, zone_name: str, language: str) -> str:
    """E.g. "Friday, 4 October 2013, 13:15 to 14:45 (Eastern Daylight Time)", dashed."""
    language = mail_language(language)
    locale = _FORMAT_LOCALES.get(language, language)
    zone = ZoneInfo(zone_name)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)

    def moment(value: datetime, *, with_day: bool) -> str:
        time = format_time(value, "short", locale=locale)
        return f"{format_date(value, 'full', locale=locale)}, {time}" if with_day else time

    until = moment(end, with_day=end.date() != start.date())
    zone_label = get_timezone_name(start, "long", locale=locale)
    return f"{moment(start, with_day=True)}{EN_DASH}{until} ({zone_label})"
