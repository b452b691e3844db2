"""The printable ticket: one page with the name as on the photo ID, the event and the QR.

Made with fpdf2 from a `TicketSheet`, whose texts the caller gives in the
reader's language (`app.mail.compose.printable_ticket`, so the ticket matches
the e-mail it is attached to); fonts come from the system (`app.tickets.fonts`).
Arabic is shaped and laid out right to left with HarfBuzz (uharfbuzz), as
fpdf2's text shaping does.
"""

import io
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from app.tickets.fonts import Face, fonts_for
from app.tickets.qr import qr_png

PAGE_WIDTH = 210  # A4, in mm; everything also fits on US Letter (216 x 279).
MARGIN = 18
QR_SIZE = 70
_GREY = (85, 85, 85)
_BLUE = (0, 94, 145)


# The PDF core fonts' encoding: Western European letters and typographic quotes,
# dashes and the euro sign. Text within it needs no embedded font.
CORE_ENCODING = "windows-1252"


def _core_font_will_do(text: str) -> bool:
    try:
        text.encode(CORE_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


class _Ticket(FPDF):
    """An FPDF with the ticket's fonts set up.

    Helvetica (a PDF core font: nothing to load or embed, so some twenty times
    faster) when every text is within windows-1252; otherwise the Unicode fonts
    found on the system, or Helvetica again when there are none.
    """

    def __init__(self, text: str) -> None:
        super().__init__(format="A4")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        # A long arrival text goes on to a second page rather than off the first.
        self.set_auto_page_break(True, margin=MARGIN)
        self.core_fonts_encoding = CORE_ENCODING
        fonts = fonts_for(text)
        self.unicode = False
        if _core_font_will_do(text) or fonts.main is None:
            self.family = "helvetica"
            return
        self.unicode = True
        self.family = "ticket"
        self._add("ticket", "", fonts.main)
        self._add("ticket", "B", fonts.bold or fonts.main)
        names = []
        for number, face in enumerate(fonts.fallbacks):
            name = f"fallback{number}"
            self._add(name, "", face)
            self._add(name, "B", face)
            names.append(name)
        self.set_fallback_fonts(names, exact_match=False)
        if any(0x0600 <= ord(char) <= 0x06FF for char in text):
            self.set_text_shaping(True)

    def _add(self, family: str, style: str, face: Face) -> None:
        self.add_font(family, style, str(face.path), collection_font_number=face.index)

    def safe(self, text: str) -> str:
        """The text as the font can show it (Helvetica knows windows-1252 only)."""
        if self.unicode:
            return text
        return text.encode(CORE_ENCODING, "replace").decode(CORE_ENCODING)

    def para(
        self, text: str, *, size: float, bold: bool = False, colour: tuple[int, ...] = (0,)
    ) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*colour)
        text = self.safe(text)
        height = size * 0.5
        if self.unicode:
            self.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return
        # Helvetica's widths never change, so a text that fits on a line (a name) is a
        # cell, and where a longer one (the event's notes, the same on every ticket)
        # breaks is worked out once; multi_cell's line breaking was most of a ticket's
        # drawing time.
        for line in self._lines(text, size) if not self._fits(text) else [text]:
            self.cell(0, height, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _fits(self, text: str) -> bool:
        """Whether `text` fits on one line in the current core font (the sum of its
        glyphs' widths)."""
        font = self.current_font
        assert font is not None  # para() has just set it
        _, points = font.get_text_width(self.normalize_text(text), self.font_size_pt, None)
        return "\n" not in text and points / self.k <= self.epw - 2 * self.c_margin

    def _lines(self, text: str, size: float) -> list[str]:
        """`text` broken into lines as multi_cell would, in the current core font."""
        key = (self.font_style, size, self.epw, text)
        if (lines := _LINES.pop(key, None)) is None:
            broken: list[str] = self.multi_cell(  # type: ignore[assignment]
                0, size * 0.5, text, dry_run=True, output=MethodReturnValue.LINES
            )
            # The lines come back as the font's bytes, read as Latin-1.
            lines = [line.encode("latin-1").decode(CORE_ENCODING) for line in broken]
            if len(_LINES) >= _LINES_KEPT:
                _LINES.pop(next(iter(_LINES)))
        _LINES[key] = lines  # the most recently used last
        return lines


# Line breaks of texts in Helvetica, by (style, size, width, text): the event's texts
# recur on every ticket; a bounded number kept, the least recently used dropped first.
_LINES: dict[tuple[str, float, float, str], list[str]] = {}
_LINES_KEPT = 512


@dataclass(frozen=True)
class TicketSheet:
    """What the printed ticket says, already in the reader's language."""

    language: str
    heading: str
    title: str
    name_label: str
    name: str
    organisation_label: str
    organisation: str
    rows: list[tuple[str, str]]
    """(label, value): when, where, the entrance."""
    code_label: str
    code: str
    qr_alt: str
    notes: list[str]
    """What to bring and do, whom to ask: a paragraph each, under the QR code."""

    def every_text(self) -> str:
        labels = [self.heading, self.name_label, self.organisation_label, self.code_label]
        values = [self.title, self.name, self.organisation, *self.notes]
        return " ".join([*labels, *values, *(text for row in self.rows for text in row)])


def ticket_pdf(sheet: TicketSheet) -> bytes:
    """The one-page printable ticket."""
    pdf = _Ticket(sheet.every_text())
    pdf.set_title(f"{sheet.heading}: {sheet.title}")
    pdf.set_lang(sheet.language)
    pdf.add_page()
    pdf.set_draw_color(*_BLUE)
    pdf.set_line_width(1.2)
    pdf.rect(MARGIN - 6, MARGIN - 6, PAGE_WIDTH - 2 * (MARGIN - 6), 250)
    pdf.para(sheet.heading.upper(), size=11, bold=True, colour=_BLUE)
    pdf.ln(2)
    pdf.para(sheet.title, size=15, bold=True)
    pdf.ln(5)
    pdf.para(sheet.name_label, size=10, colour=_GREY)
    pdf.para(sheet.name, size=22, bold=True)
    pdf.ln(1)
    pdf.para(sheet.organisation_label, size=10, colour=_GREY)
    pdf.para(sheet.organisation, size=13)
    pdf.ln(4)
    for label, value in sheet.rows:
        pdf.para(label, size=10, colour=_GREY)
        pdf.para(value, size=12)
        pdf.ln(1)
    top = pdf.get_y() + 3
    qr = io.BytesIO(qr_png(sheet.code))
    pdf.image(qr, x=MARGIN, y=top, w=QR_SIZE, h=QR_SIZE, alt_text=sheet.qr_alt)
    pdf.set_y(top + QR_SIZE + 2)
    pdf.para(sheet.code_label, size=10, colour=_GREY)
    pdf.para(sheet.code, size=12, bold=True)
    pdf.ln(4)
    for note in sheet.notes:
        pdf.para(note, size=10)
        pdf.ln(1.5)
    return bytes(pdf.output())
