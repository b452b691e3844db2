"""Times on the organisers' pages: in the event's own time zone and the page's language.

The door and the organisers are where the event is, so "checked in at 17:02" means
the venue's clock, whatever the server's zone.
"""

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from app.models import Event, Language
from app.web import i18n

Formatter = Callable[[datetime], str]


def moment_formatter(event: Event, lang: Language) -> Formatter:
    """The date in the medium style and the time in the short one: "4 Oct 2013, 17:02",
    joined as the language joins them."""
    zone, where = ZoneInfo(event.timezone), i18n.locale(lang)
    joined = str(where.datetime_formats["medium"])

    def format_moment(moment: datetime) -> str:
        local = moment.astimezone(zone)
        time = format_time(local, "short", locale=where)
        return joined.format(time, format_date(local, "medium", locale=where))

    return format_moment


def clock_formatter(event: Event, lang: Language) -> Formatter:
    """The time of day only: "17:02" (the desk's day is the event's)."""
    zone, where = ZoneInfo(event.timezone), i18n.locale(lang)
    return lambda moment: format_time(moment.astimezone(zone), "short", locale=where)
