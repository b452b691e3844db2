"""Reading what a registrant receives: the inline QR, the PDF ticket, the texts."""

import io
from email.message import EmailMessage

import pypdf
import zxingcpp
from PIL import Image


def decode_qr(image: bytes | Image.Image) -> list[str]:
    """The texts of the QR codes in an image (zxing-cpp, a decoder independent of segno)."""
    picture = Image.open(io.BytesIO(image)) if isinstance(image, bytes) else image
    return [found.text for found in zxingcpp.read_barcodes(picture.convert("L"))]


def inline_images(message: EmailMessage) -> dict[str, bytes]:
    """The HTML part's inline images by Content-ID (without the angle brackets)."""
    images: dict[str, bytes] = {}
    for part in message.walk():
        if part.get_content_maintype() == "image" and part["Content-ID"]:
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            images[str(part["Content-ID"]).strip("<>")] = data
    return images


def attachment(message: EmailMessage, content_type: str) -> bytes | None:
    found = [p for p in message.iter_attachments() if p.get_content_type() == content_type]
    if not found:
        return None
    (part,) = found
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def pdf_text_and_qr(data: bytes) -> tuple[int, str, list[str]]:
    """(pages, the text of the first page, the QR codes its images decode to)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    first = reader.pages[0]
    codes = [code for image in first.images if image.image for code in decode_qr(image.image)]
    return len(reader.pages), first.extract_text(), codes
