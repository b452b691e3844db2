"""The QR code of a ticket code: SVG for pages, PNG for e-mails (mail clients block SVG)."""

import io
from functools import lru_cache

import segno


def _qr(code: str) -> segno.QRCode:
    # Level M survives a crease or a smudge on a printed ticket.
    return segno.make(code, error="m")


def qr_svg(code: str, *, title: str) -> bytes:
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="svg", scale=6, title=title)
    return buffer.getvalue()


@lru_cache(maxsize=64)
def qr_png(code: str, *, scale: int = 8) -> bytes:
    """A PNG with the quiet zone the standard asks for (4 modules), 1 bit per pixel.

    Kept for a while: a seat e-mail shows it inline and again in its PDF ticket.
    """
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
