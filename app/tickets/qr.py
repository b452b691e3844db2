"""The QR code of a ticket code: SVG for pages, PNG for e-mails (mail clients block SVG)."""

import io
import struct
import zlib
from functools import lru_cache

import segno

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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
    return _png(_qr(code).matrix, scale=scale, border=4)


def _png(matrix: tuple[bytearray, ...], *, scale: int, border: int) -> bytes:
    """The modules (1: dark) as a black-on-white greyscale PNG of 1 bit per pixel.

    Written here, a row of modules at a time (segno's writer goes pixel by pixel,
    which was a fifth of a confirmation's rendering time)."""
    width = (len(matrix[0]) + 2 * border) * scale
    padding = -width % 8  # each pixel row fills whole bytes
    dark, light = "0" * scale, "1" * scale
    quiet = "1" * (border * scale)

    def pixel_row(bits: str) -> bytes:
        # Filter type 0 (none), then the pixels, 8 to a byte, 1 for white.
        return b"\x00" + int(bits + "1" * padding, 2).to_bytes((width + padding) // 8, "big")

    blank = pixel_row("1" * width) * (border * scale)
    rows = [
        pixel_row(quiet + "".join(dark if module else light for module in modules) + quiet) * scale
        for modules in matrix
    ]
    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)
    data = zlib.compress(b"".join([blank, *rows, blank]))  # level 9: 4x slower, no smaller
    return _PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
