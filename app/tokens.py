"""Secret tokens: handed out once, stored only as SHA-256 digests."""

import base64
import hashlib
import hmac
import secrets

from app.models import Registration

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> bytes:
    # surrogatepass: any text a client sends has a digest (and matches nothing).
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def ticket_code_for(manage_token: str) -> str:
    """The QR ticket's code, derived from the manage token.

    Deriving it (HMAC keyed by the 32 random bytes of the manage token) means the
    registrant's own view can show it while the database holds only its digest,
    and the ticket code does not reveal the manage token.
    """
    mac = hmac.new(manage_token.encode(), b"ticket", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def issue_manage_token(registration: Registration) -> str:
    """Give the registration a new manage token (and so a new ticket code); returns it.

    Only digests are stored, so a message that must carry the manage link after
    sign-up issues a fresh token; links in earlier messages stop working.
    """
    token = new_token()
    registration.manage_token_hash = digest(token)
    registration.ticket_code_hash = digest(ticket_code_for(token))
    return token
