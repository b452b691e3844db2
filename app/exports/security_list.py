"""The UN Special Event Ticket request sheet for guests without a grounds pass.

Sponsors of a side-event at UN Headquarters send security the names of guests
who hold no UN grounds pass, as on their photo ID, 48 hours before the event.
The workbook lists confirmed attendees without a pass; those who registered
after that deadline go on a second sheet, marked late. A substitute (someone
a registrant passed their place to) is listed as registered when the place
changed hands, with the name of the person they replace, so a substitution
within 48 hours of the event is a late request that says whose ticket it
replaces.
"""

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models import Event, Registration, RegistrationStatus

REQUEST_LEAD_TIME = timedelta(hours=48)
HEADERS = (
    "No.",
    "Family name (as on photo ID)",
    "Given name(s) (as on photo ID)",
    "Organisation",
    "Job title",
    "Country",
    "Registered at",
    "Replaces (substitute for)",
)


@dataclass(frozen=True)
class SecurityList:
    content: bytes
    on_time: int
    late: int


@dataclass(frozen=True)
class _Guest:
    registration: Registration
    replaces: str
    """The full name of the registrant this one replaced, or ''."""

    @property
    def created_at(self) -> datetime:
        return self.registration.created_at


def request_deadline(event: Event) -> datetime:
    return event.starts_at - REQUEST_LEAD_TIME


async def build_security_list(session: AsyncSession, *, event: Event) -> SecurityList:
    zone = ZoneInfo(event.timezone)
    deadline = request_deadline(event)
    replaced = aliased(Registration)
    rows = await session.execute(
        select(Registration, replaced.given_name, replaced.family_name)
        .outerjoin(replaced, replaced.id == Registration.substitute_for)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.confirmed,
            Registration.has_un_grounds_pass.is_(False),
        )
        .order_by(Registration.family_name, Registration.given_name, Registration.id)
    )
    guests = [
        _Guest(guest, f"{given} {family}" if given is not None else "")
        for guest, given, family in rows
    ]
    on_time = [g for g in guests if g.created_at <= deadline]
    late = [g for g in guests if g.created_at > deadline]

    buffer = io.BytesIO()
    # Text is never turned into a formula, a number or a link: what people typed
    # stays inert text.
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "label": workbook.add_format({"bold": True}),
        "header": workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True}),
        "late": workbook.add_format({"bold": True, "font_color": "#9C0006"}),
    }
    _write_sheet(workbook, formats, "Requests", event, zone, on_time, late=False)
    _write_sheet(workbook, formats, "Late requests", event, zone, late, late=True)
    workbook.close()
    return SecurityList(content=buffer.getvalue(), on_time=len(on_time), late=len(late))


def _write_sheet(
    workbook: Any,
    formats: dict[str, Any],
    name: str,
    event: Event,
    zone: ZoneInfo,
    guests: list[_Guest],
    *,
    late: bool,
) -> None:
    sheet = workbook.add_worksheet(name)
    starts, ends = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    deadline = request_deadline(event).astimezone(zone)
    sheet.write_string(0, 0, "Special Event Ticket request", formats["title"])
    details = (
        ("Event", event.title),
        ("Date", starts.strftime("%A %-d %B %Y")),
        ("Time", f"{starts:%H:%M}–{ends:%H:%M} ({event.timezone})"),
        ("Venue", event.venue),
        ("Sponsoring office", ", ".join(event.organisers)),
        ("Requests due", deadline.strftime("%A %-d %B %Y, %H:%M")),
    )
    for row, (label, value) in enumerate(details, start=1):
        sheet.write_string(row, 0, label, formats["label"])
        sheet.write_string(row, 1, value)
    row = len(details) + 1
    if late:
        sheet.write_string(
            row, 0, "LATE: registered after the 48-hour request deadline.", formats["late"]
        )
    row += 1
    for column, header in enumerate((*HEADERS, *(("Late",) if late else ()))):
        sheet.write_string(row, column, header, formats["header"])
    for number, listed in enumerate(guests, start=1):
        guest = listed.registration
        row += 1
        sheet.write_number(row, 0, number)
        cells = (
            guest.family_name,
            guest.given_name,
            guest.organisation,
            guest.job_title or "",
            guest.country or "",
            guest.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            listed.replaces,
            *(("late",) if late else ()),
        )
        for column, value in enumerate(cells, start=1):
            sheet.write_string(row, column, value)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 3, 30)
    sheet.set_column(4, 6, 22)
    sheet.set_column(7, 7, 30)
    sheet.freeze_panes(len(details) + 3, 0)
