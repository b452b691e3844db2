"""Anti-abuse for form posts: CSRF tokens, the fill-time stamp, headers.

CSRF uses a signed double-submit token: a random value in an HttpOnly cookie and,
in each form, that value signed with the app's key. A cross-site page can make
the browser send the cookie but cannot read it, nor forge the signature.

The fill-time stamp says when a form was served, for which form (the event's
slug) and for which browser (a digest of its CSRF cookie), signed with the
app's key. A stamp is good from `min_fill_time` after it was issued (bots fill
forms at once) until `max_fill_time` (24 hours): a harvested stamp cannot be
replayed for weeks, nor on another event's form, nor from another browser.
"""

import copy
import hashlib
import secrets
from dataclasses import dataclass
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


DEFAULT_MAX_FILL_TIME = timedelta(hours=24)


def _cookie_digest(cookie: str) -> str:
    """A short digest of the CSRF cookie: binds a stamp to a browser, without showing it."""
    return hashlib.sha256(cookie.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class _Binding:
    form: str = ""
    csrf_cookie: str = ""


class FormGuard:
    """Issues and checks the hidden values every form carries.

    The app holds one guard; each page gets it `bound` to the form it serves (the
    event's slug) and to the browser's CSRF cookie, which its stamps then carry.
    """

    def __init__(
        self,
        key: str,
        *,
        min_fill_time: timedelta,
        max_fill_time: timedelta = DEFAULT_MAX_FILL_TIME,
    ) -> None:
        self._csrf = URLSafeSerializer(key, salt="csrf")
        # A new salt: stamps of the old shape (a bare time) are simply not ours.
        self._started = URLSafeSerializer(key, salt="form-started-v2")
        self.min_fill_time = min_fill_time
        self.max_fill_time = max_fill_time
        self._binding = _Binding()

    def bound(self, *, form: str, csrf_cookie: str) -> "FormGuard":
        """This guard, stamping and checking for one form in one browser."""
        guard = copy.copy(self)
        guard._binding = _Binding(form=form, csrf_cookie=csrf_cookie)
        return guard

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
        """The signed stamp: when, for which form, for which browser."""
        binding = self._binding
        return self._started.dumps(
            [now.timestamp(), binding.form, _cookie_digest(binding.csrf_cookie)]
        )

    def filled_too_fast(self, stamp: str | None, now: datetime) -> bool:
        """True unless the stamp is ours, for this form and browser, and the form came back
        between `min_fill_time` (a person's pace) and `max_fill_time` (not a replay) after
        it was served. The caller shows the form again, with a fresh stamp.
        """
        try:
            started = self._started.loads(stamp or "")
        except BadSignature:
            return True
        if not (isinstance(started, list) and len(started) == 3):
            return True
        when, form, cookie_digest = started
        if not isinstance(when, int | float) or isinstance(when, bool):
            return True
        binding = self._binding
        # Both are signed by us, so a plain comparison leaks nothing worth timing.
        if form != binding.form or cookie_digest != _cookie_digest(binding.csrf_cookie):
            return True
        elapsed = now.timestamp() - when
        return not (
            self.min_fill_time.total_seconds() <= elapsed <= self.max_fill_time.total_seconds()
        )
