"""Making cell text safe to open in a spreadsheet (CSV/formula injection).

Rule (after OWASP's CSV injection guidance): a value that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return would be read by Excel, LibreOffice or
Google Sheets as a formula, so it is prefixed with a single quote `'`, which
makes the spreadsheet show it as text. One exception keeps typed numbers
readable: a value that is an optional leading `+` or `-` followed only by
digits, spaces and `( ) . / -`, with at least one digit (a phone number such as
`+1 212 963 1234`, or `-5`), cannot call a function or reach another cell, so it
is left as it is.
"""

import re

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE = re.compile(r"[+-]?[\d\s()./-]*\d[\d\s()./-]*")


def neutralise(value: str) -> str:
    if value.startswith(_TRIGGERS) and not _NUMBER_LIKE.fullmatch(value):
        return "'" + value
    return value
