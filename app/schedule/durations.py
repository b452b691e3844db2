"""ISO 8601 durations as organisers write reminders: "P1D", "PT2H", "P1W", "PT90S".

Weeks, days, hours, minutes and seconds only: a month or a year has no fixed
length, so "P1M" is refused rather than guessed. From one second to a year.
"""

import re
from datetime import timedelta

_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
LONGEST = timedelta(days=366)
MOST_PER_EVENT = 10


def parse_duration(text: str) -> timedelta:
    """The duration `text` stands for; ValueError, saying why, when it is not one we take."""
    found = _DURATION.fullmatch(text.strip().upper()) if len(text) <= 32 else None
    if found is None or text.strip().upper().endswith("T") or text.strip().upper() == "P":
        raise ValueError(
            f"{text[:40]!r} is not an ISO 8601 duration in weeks, days, hours, minutes "
            "or seconds (e.g. 'P1D', 'PT2H', 'P1W')"
        )
    parts = {name: int(value) for name, value in found.groupdict().items() if value is not None}
    try:
        duration = timedelta(**parts)
    except OverflowError:
        duration = LONGEST + LONGEST
    if duration < timedelta(seconds=1):
        raise ValueError(f"{text!r} is shorter than a second")
    if duration > LONGEST:
        raise ValueError(f"{text!r} is longer than a year")
    return duration


def check_durations(values: list[str]) -> list[str]:
    """The list normalised (upper case, no spaces), each a valid duration, none twice."""
    if len(values) > MOST_PER_EVENT:
        raise ValueError(f"at most {MOST_PER_EVENT} reminders")
    normal = [value.strip().upper() for value in values]
    lengths = [parse_duration(value) for value in normal]
    if len(set(lengths)) != len(lengths):
        raise ValueError("the same duration is listed twice")
    return normal
