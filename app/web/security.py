"""Anti-abuse for form posts: CSRF tokens, the fill-time stamp, headers.

CSRF uses a signed double-submit token: a random value in an HttpOnly cookie and,
in each form, that value signed with the app's key. A cross-site page can make
the browser send the cookie but cannot read it, nor forge the signature.
"""

import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

CSRF_COOKIE = "rsvp_csrf"
CSRF_FIELD = "csrf_token"
STARTED_FIELD = "form_started"
HONEYPOT_FIELD = "website"

# No inline script or style anywhere: everything comes from /static.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Manage pages carry the secret token in their address; never pass it on.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class FormGuard:
    """Issues and checks the hidden values every form carries."""

    def __init__(self, key: str, *, min_fill_time: timedelta) -> None:
        self._csrf = URLSafeSerializer(key, salt="csrf")
        self._started = URLSafeSerializer(key, salt="form-started")
        self.min_fill_time = min_fill_time

    @staticmethod
    def new_csrf_cookie() -> str:
        return secrets.token_urlsafe(32)

    def csrf_token(self, cookie: str) -> str:
        return self._csrf.dumps(cookie)

    def csrf_valid(self, *, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token:
            return False
        try:
            signed = self._csrf.loads(token)
        except BadSignature:
            return False
        # compare_digest takes only ASCII text; our cookie values are always ASCII, so
        # any other cookie (sent by hand, or mangled) is simply not the one we set.
        if not (isinstance(signed, str) and signed.isascii() and cookie.isascii()):
            return False
        return secrets.compare_digest(signed, cookie)

    def started_stamp(self, now: datetime) -> str:
        return self._started.dumps(now.timestamp())

    def filled_too_fast(self, stamp: str | None, now: datetime) -> bool:
        """True when the form came back sooner than a person could fill it (or unstamped)."""
        try:
            started = self._started.loads(stamp or "")
        except BadSignature:
            return True
        if not isinstance(started, int | float):
            return True
        return now.timestamp() - started < self.min_fill_time.total_seconds()
