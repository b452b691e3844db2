"""Making cell text safe to open in a spreadsheet (CSV/formula injection), whatever its separator.

Rule (after OWASP's CSV injection guidance): text that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return would be read by Excel, LibreOffice or
Google Sheets as a formula, so it is prefixed with a single quote `'`, which
makes the spreadsheet show it as text.

The file is comma-separated, but a spreadsheet set for a semicolon locale
(French, German Excel) splits lines on `;`, and others on tabs; a value such
as `Mairie;=1+1` would then give a cell `=1+1`. So the rule applies to every
piece a value could be split into: wherever a formula character follows the
start, a `,`, a `;`, a tab or a line break (spaces in between allowed), a `'`
goes before it.

One exception keeps typed numbers readable: a piece that is an optional
leading `+` or `-` followed only by digits, spaces and `( ) . / -`, with at
least one digit (a phone number such as `+1 212 963 1234`, or `-5`), cannot
call a function or reach another cell, so it is left as it is.
"""

import re

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Where a spreadsheet may start a new cell: the separators of any locale, and a line
# break (inside quotes in our file, but not every reader honours them).
_SEPARATOR = re.compile(r"([,;\t\r\n])")
_NUMBER_LIKE = re.compile(r"[+-]?[\d\s()./-]*\d[\d\s()./-]*")


def _inert(piece: str) -> str:
    text = piece.lstrip(" ")
    if text.startswith(_TRIGGERS) and not _NUMBER_LIKE.fullmatch(text):
        return piece[: len(piece) - len(text)] + "'" + text
    return piece


def neutralise(value: str) -> str:
    parts = _SEPARATOR.split(value)  # pieces at even places, separators between them
    safe = "".join(_inert(part) if i % 2 == 0 else part for i, part in enumerate(parts))
    # A tab or carriage return is a separator inside a value, but a trigger at its start.
    if safe.startswith(("\t", "\r")) and not _NUMBER_LIKE.fullmatch(value):
        return "'" + safe
    return safe
