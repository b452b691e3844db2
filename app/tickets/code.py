"""QR ticket codes: one per registration, stored only as a digest."""

import base64
import hashlib
import hmac
import uuid

from app.kit.secrets import digest


def ticket_code(registration_id: uuid.UUID, key: str) -> str:
    """The QR ticket's code: one per registration, whatever links it is sent.

    An HMAC of the registration's id under the app's signing key, so the
    registrant's view can recompute it while the database holds only its digest,
    and nobody without the key can forge one from an id. A new key gives every
    registration a new code: tickets handed out before no longer scan.
    """
    mac = hmac.new(key.encode(), b"ticket:" + registration_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def ticket_code_hash(registration_id: uuid.UUID, key: str) -> bytes:
    return digest(ticket_code(registration_id, key))
