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
leading `+` or `-` followed only by digits 0-9, spaces and `( ) . / -`, with
at least one digit (a phone number such as `+1 212 963 1234`, or `-5`),
cannot call a function or reach another cell, so it is left as it is.

The rule exists twice, meaning the same: `neutralise` (Python, the reference,
for single values) and `neutralised` (an SQL expression, so the CSV export can
be PostgreSQL's own `COPY`). Both count only ASCII digits and spaces, as
PostgreSQL's regular expressions would not agree with Python's on others;
`tests/test_export_csv.py` checks that they give the same text.
"""

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal

from app.models.registration import FORMULA_AT_RISK

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Where a spreadsheet may start a new cell: the separators of any locale, and a line
# break (inside quotes in our file, but not every reader honours them).
_SEPARATOR = re.compile(r"([,;\t\r\n])")
_NUMBER_LIKE = re.compile(r"[+-]?[\d\s()./-]*\d[\d\s()./-]*", re.ASCII)


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


# The same rule as PostgreSQL regular expressions (AREs; `$` is the end of the text).
_SQL_SEPARATOR = r"[,;\t\r\n]"
_SQL_NUMBER_PIECE = r"[+-]?[0-9 \f\v()./-]*[0-9][0-9 \f\v()./-]*"  # no separator inside
_SQL_NUMBER_VALUE = r"^[+-]?[0-9 \t\n\r\f\v()./-]*[0-9][0-9 \t\n\r\f\v()./-]*$"
# A value this does not match is left as it is (most values: one cheap test). The
# registration keeps whether any of its free text matches (`needs_formula_check`).
_SQL_AT_RISK = FORMULA_AT_RISK
# The start of a piece (after its spaces) holding a trigger, unless the piece is a number.
_SQL_PIECE_AT_RISK = (
    rf"(^|{_SQL_SEPARATOR})( *)(?=[-=+@])(?!{_SQL_NUMBER_PIECE}({_SQL_SEPARATOR}|$))"
)


def neutralised(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """`neutralise(value)`, computed by PostgreSQL (NULL stays NULL)."""
    pieces = func.regexp_replace(value, literal(_SQL_PIECE_AT_RISK), literal("\\1\\2'"), "g")
    # Most values neither start with a trigger or a space nor hold a separator: a few
    # byte searches say so, cheaper than the regular expressions (which copy the text).
    plain = and_(
        func.ascii(value).not_in([ord(c) for c in (*_TRIGGERS, " ")]),
        *(func.strpos(value, separator) == 0 for separator in ",;\t\r\n"),
    )
    return case(
        (plain, value),
        (~value.regexp_match(_SQL_AT_RISK), value),
        (
            value.regexp_match(r"^[\t\r]") & ~value.regexp_match(_SQL_NUMBER_VALUE),
            literal("'") + pieces,
        ),
        else_=pieces,
    )
