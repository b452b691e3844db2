"""Reading a list of invitations: one JSON object, `{"invitations": [...]}`, or a CSV file.

All or nothing: every row is checked, and any problem refuses the whole list
with 422, naming each bad row by its number and field. A CSV file's rows are
numbered as a spreadsheet shows them (the header is row 1, the first
invitation row 2); a JSON list's from 1.
"""

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from app.invitations.schemas import MAX_BATCH, InvitationCreate
from app.kit.errors import InvalidChange, UnsupportedMediaType

# The columns a CSV file may have: the invitation object's fields.
CSV_COLUMNS = tuple(InvitationCreate.model_fields)


class RowProblems(InvalidChange):
    """Some rows of a list are not valid invitations: every one is named."""


@dataclass(frozen=True)
class InvitationList:
    rows: list[InvitationCreate]
    first_row: int
    """The number of the first row (2 in a CSV file, under its header; else 1)."""
    single: bool
    """One JSON object was sent (and one is answered)."""


def _problems(number: int, error: ValidationError) -> list[dict[str, Any]]:
    return [
        {
            "row": number,
            "field": ".".join(str(part) for part in problem["loc"]) or None,
            "problem": problem["msg"],
        }
        for problem in error.errors(include_url=False, include_input=False)
    ]


def _validated(raw_rows: list[Any], first_row: int) -> list[InvitationCreate]:
    if len(raw_rows) > MAX_BATCH:
        raise InvalidChange(
            f"At most {MAX_BATCH} invitations at a time; {len(raw_rows)} were sent."
        )
    if not raw_rows:
        raise InvalidChange("The list has no invitations.")
    rows: list[InvitationCreate] = []
    problems: list[dict[str, Any]] = []
    for number, raw in enumerate(raw_rows, start=first_row):
        try:
            rows.append(InvitationCreate.model_validate(raw))
        except ValidationError as error:
            problems.extend(_problems(number, error))
    if problems:
        bad = sorted({problem["row"] for problem in problems})
        raise RowProblems(
            f"{len(bad)} row(s) are not valid ({', '.join(map(str, bad))}); nothing was created.",
            rows=problems,
        )
    return rows


def from_csv(data: bytes) -> InvitationList:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidChange("The CSV file must be UTF-8 text.") from exc
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InvalidChange(f"The CSV file cannot be read: {exc}.") from exc
    if not records or not any(cell.strip() for cell in records[0]):
        raise InvalidChange("The CSV file needs a header row naming the fields.")
    header = [cell.strip() for cell in records[0]]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown or len(set(header)) != len(header):
        raise InvalidChange(
            f"The header names unknown or repeated columns ({', '.join(unknown) or 'repeated'}); "
            f"the columns are: {', '.join(CSV_COLUMNS)}."
        )
    raw_rows: list[dict[str, Any]] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            raw_rows.append({"__blank__": number})
            continue
        if len(record) > len(header):
            raw_rows.append({"__extra__": record[len(header) :]})
            continue
        # An empty cell is a field not given: its default, or "Field required".
        raw_rows.append(
            {
                column: value.strip()
                for column, value in zip(header, record, strict=False)
                if value.strip()
            }
        )
    # Trailing blank lines are not rows.
    while raw_rows and "__blank__" in raw_rows[-1]:
        raw_rows.pop()
    return InvitationList(rows=_validated(raw_rows, 2), first_row=2, single=False)


def from_json(data: bytes) -> InvitationList:
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidChange("The body is not valid JSON.") from exc
    if isinstance(body, dict) and set(body) == {"invitations"}:
        if not isinstance(body["invitations"], list):
            raise InvalidChange("`invitations` must be a list of invitation objects.")
        return InvitationList(rows=_validated(body["invitations"], 1), first_row=1, single=False)
    if isinstance(body, dict):
        return InvitationList(rows=_validated([body], 1), first_row=1, single=True)
    raise InvalidChange('Send one invitation object, or {"invitations": [...]}.')


def read_invitations(content_type: str | None, data: bytes) -> InvitationList:
    """The invitations in a request body, by its media type (JSON, or CSV with a header)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in {"text/csv", "application/csv"}:
        return from_csv(data)
    if media == "application/json" or media.endswith("+json"):
        return from_json(data)
    raise UnsupportedMediaType("Send application/json (one invitation or a list) or text/csv.")
