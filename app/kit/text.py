"""Text clean-up shared by validation and search: one place decides what "same" means."""

import re
import unicodedata
from typing import Protocol

_SPACES = re.compile(r"\s+")
_CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_ALLOWED_CONTROLS = {"\n", "\t"}


# ASCII's control characters (category Cc), and its only ones: ASCII has no Cf, Cs,
# Co or Cn, and NFC and NFKD leave it as it is. Most names and addresses are
# ASCII, so they skip the per-character look-ups.
_ASCII_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def clean_line(value: str) -> str:
    """NFC-normalise, fold whitespace runs (line breaks too) to one space, drop control
    characters, trim."""
    if value.isascii():
        value = _ASCII_CONTROLS.sub("", _SPACES.sub(" ", value))
    else:
        value = _SPACES.sub(" ", unicodedata.normalize("NFC", value))
        value = "".join(ch for ch in value if unicodedata.category(ch) not in _CONTROL_CATEGORIES)
    return _SPACES.sub(" ", value).strip()


def clean_multiline(value: str) -> str:
    """Like `clean_line`, but keeps line breaks (free text such as accessibility needs)."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = "".join(
        ch
        for ch in value
        if ch in _ALLOWED_CONTROLS or unicodedata.category(ch) not in _CONTROL_CATEGORIES
    )
    lines = [_SPACES.sub(" ", line).strip() for line in value.split("\n")]
    return "\n".join(lines).strip()


def fold(value: str) -> str:
    """Case-, accent- and space-insensitive key: "  Ciudad de  CUENCA " == "ciudad de cuenca"."""
    if value.isascii():
        stripped = value
    else:
        decomposed = unicodedata.normalize("NFKD", value)
        stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


ORGANISATION_KEY_LENGTH = 200


def organisation_key(organisation: str) -> str:
    """Organisations compare case- and space-insensitively (accents still count).

    Cut to the column's length: case-folding can lengthen text ("ß" is "ss").
    """
    key = _SPACES.sub(" ", unicodedata.normalize("NFC", organisation).casefold()).strip()
    return key[:ORGANISATION_KEY_LENGTH]


class Named(Protocol):
    """A person as the service records them: a registrant, an invitee, a delegate."""

    given_name: str
    family_name: str


def full_name(person: Named) -> str:
    """Given name, then family name, as on the photo ID: how every message and page
    names a person."""
    return f"{person.given_name} {person.family_name}"
