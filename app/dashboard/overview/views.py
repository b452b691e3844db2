"""The overview's figures and charts in the organiser's language."""

from dataclasses import dataclass
from typing import Any

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from app.dashboard.overview.charts import Caption, Chart, bars, columns, cumulative
from app.dashboard.overview.figures import FIGURE_LABELS, STATUS_LABELS, Overview, headline
from app.dashboard.rendering import translations
from app.events.seating import Seats
from app.models import Language
from app.web import i18n
from app.web.forms import AFFILIATION_LABELS
from app.web.i18n import N_


@dataclass(frozen=True)
class _Words:
    lang: Language

    def __call__(self, message: str, **values: Any) -> str:
        text = translations(self.lang).gettext(message)
        return text % values if values else text

    def number(self, value: int) -> str:
        return format_decimal(value, locale=i18n.locale(self.lang))

    def listed(self, items: list[tuple[str, int]]) -> str:
        """ "Label: value, label: value" in this language, for a chart's text alternative."""
        pairs = [self(N_("%(label)s: %(value)s"), label=k, value=self.number(v)) for k, v in items]
        return self(N_(", ")).join(pairs)


def figures(seats: Seats, lang: Language) -> list[tuple[str, str, str]]:
    """(key, label, value) of the headline figures, values formatted."""
    words = _Words(lang)
    values = headline(seats)
    return [(key, words(label), words.number(values[key])) for key, label in FIGURE_LABELS]


def _breakdown(
    key: str, title: str, items: list[tuple[str, int]], words: _Words, *, rtl: bool
) -> Chart:
    heading = words(title)
    description = words.listed(items) if items else words(N_("No registrations yet."))
    return Chart(
        key=key,
        title=heading,
        description=description,
        svg=bars(
            Caption(key, heading, description),
            items,
            fmt=words.number,
            rtl=rtl,
            empty=words(N_("No registrations yet.")),
        ),
        headers=(words(N_("Category")), words(N_("Registrations"))),
        rows=[(label, words.number(value)) for label, value in items],
    )


def _signups(overview: Overview, words: _Words, *, rtl: bool) -> Chart:
    where = i18n.locale(words.lang)
    days = overview.cumulative_signups()
    capacity = overview.seats.capacity
    heading = words(N_("Sign-ups over time, against capacity"))
    if days:
        first, last = days[0][0], days[-1][0]
        span = max(1, (last - first).days)
        points = [
            ((day - first).days / span if last != first else 0.5, total) for day, _, total in days
        ]
        description = words(
            N_(
                "%(total)s sign-ups from %(first)s to %(last)s, against a capacity of %(capacity)s."
            ),
            total=words.number(days[-1][2]),
            first=format_date(first, "long", locale=where),
            last=format_date(last, "long", locale=where),
            capacity=words.number(capacity),
        )
        first_label, last_label = (format_date(d, "medium", locale=where) for d in (first, last))
    else:
        points, first_label, last_label = [], "", ""
        description = words(N_("No registrations yet."))
    return Chart(
        key="signups",
        title=heading,
        description=description,
        svg=cumulative(
            Caption("signups", heading, description),
            points,
            first_label=first_label,
            last_label=last_label,
            limit=capacity,
            limit_label=words(N_("Capacity: %(capacity)s"), capacity=words.number(capacity)),
            fmt=words.number,
            rtl=rtl,
        ),
        headers=(words(N_("Day")), words(N_("Sign-ups")), words(N_("Sign-ups so far"))),
        rows=[
            (format_date(day, "medium", locale=where), words.number(n), words.number(total))
            for day, n, total in days
        ],
    )


def _checkins(overview: Overview, words: _Words, *, rtl: bool) -> Chart:
    where = i18n.locale(words.lang)
    hours = [
        (format_time(moment, "short", locale=where), n) for moment, n in overview.checkin_hours()
    ]
    total = sum(n for _, n in hours)
    heading = words(N_("Check-ins per hour, on the event's day"))
    if total:
        busiest, most = max(hours, key=lambda hour: hour[1])
        description = words(
            N_("%(total)s check-ins; the busiest hour began at %(hour)s, with %(count)s."),
            total=words.number(total),
            hour=busiest,
            count=words.number(most),
        )
    else:
        description = words(N_("No one has checked in yet."))
    return Chart(
        key="checkins",
        title=heading,
        description=description,
        svg=columns(Caption("checkins", heading, description), hours, fmt=words.number, rtl=rtl),
        headers=(words(N_("Hour beginning")), words(N_("Check-ins"))),
        rows=[(hour, words.number(n)) for hour, n in hours if n],
    )


def charts(overview: Overview, lang: Language) -> list[Chart]:
    words = _Words(lang)
    rtl = i18n.direction(lang) == "rtl"
    stats = overview.stats
    countries = i18n.territory_names(lang)
    by_status = [(words(STATUS_LABELS[s]), n) for s, n in stats.by_status.items() if n]
    by_affiliation = [
        (words(AFFILIATION_LABELS[a]), n) for a, n in stats.by_affiliation_type.items() if n
    ]
    by_country = [
        (countries.get(code, words(N_("Not given"))), n) for code, n in overview.top_countries()
    ]
    return [
        _signups(overview, words, rtl=rtl),
        _breakdown("status", N_("Registrations by status"), by_status, words, rtl=rtl),
        _breakdown(
            "affiliation",
            N_("Active registrations by type of organisation"),
            by_affiliation,
            words,
            rtl=rtl,
        ),
        _breakdown(
            "countries",
            N_("Active registrations: the top ten countries"),
            by_country,
            words,
            rtl=rtl,
        ),
        _checkins(overview, words, rtl=rtl),
    ]
