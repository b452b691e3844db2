"""What goes into headers and the envelope: addresses as SMTP wants them, text that can
never add a header line, and a check of the wire form before sending.

People choose names and organisers choose event titles, and both reach headers
(`To:`'s display name, `Subject:`). Two defences, so that neither alone has to
be perfect:

- `header_text` makes a value inert before it becomes a header. Line breaks and
  every other control character become spaces, and each `=?` (the opener of an
  RFC 2047 encoded-word) becomes `= ?`. Some versions of Python's `email`
  package decode encoded-words found in a display name or a subject and write
  the decoded text, CR LF included, raw into the message: a name such as
  `=?utf-8?q?Ana=0D=0ABcc:_x@evil.example?=` then adds a `Bcc:` line. Without
  `=?` there is no encoded-word to decode, whatever the Python version.
- `subject_header` writes a subject that is not plain ASCII as RFC 2047
  encoded-words of our own folding (`email.header.Header`: the whole text
  encoded, cut only between characters, so every space stays inside a word).
  Python's own folder of the `email` policies can end an encoded-word on a space
  and drop it (a long Arabic, Chinese or Russian subject lost spaces).
- `check_headers` reads the message's header block as bytes, as it goes on the
  wire, just before sending: every line ends in CR LF, a continuation line starts
  with a space or tab, and each header name is one we write, at most once. A
  message that fails is not sent (the worker marks it failed with the reason).
"""

import re
import unicodedata
from contextlib import suppress
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry
from email.policy import Policy
from typing import Any


def ascii_domain(email: str) -> str:
    """The address with its domain in IDNA form (`bücher.example` -> `xn--bcher-kva.example`).

    The local part stays as it is: when it is not ASCII, only a relay that
    supports SMTPUTF8 can take it (`needs_smtputf8`).
    """
    local, _, domain = email.rpartition("@")
    with suppress(UnicodeError):  # not IDNA-encodable: left for the relay to judge
        domain = domain.encode("idna").decode("ascii")
    return f"{local}@{domain}"


def needs_smtputf8(address: str) -> bool:
    return not address.isascii()


ENCODED_WORD_OPENER = "=?"
_BROKEN_OPENER = "= ?"

# Every top-level header the composer (and the worker's `Date`) writes; lower case.
WRITTEN_HEADERS = frozenset(
    {
        "date",
        "subject",
        "from",
        "to",
        "message-id",
        "auto-submitted",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-language",
    }
)
# RFC 5322 field name: printable US-ASCII except the colon.
_FIELD_NAME = re.compile(rb"[!-9;-~]+")


def header_text(value: str) -> str:
    """`value` made safe for a header: one line, no encoded-word."""
    # Cc/Zl/Zp: CR, LF, NEL, the Unicode line and paragraph separators, and the
    # other characters that str.splitlines() or a mail parser may take as a break.
    flat = "".join(" " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch for ch in value)
    while ENCODED_WORD_OPENER in flat:
        flat = flat.replace(ENCODED_WORD_OPENER, _BROKEN_OPENER)
    return " ".join(flat.split())


# RFC 5322's recommended line length, for a policy that sets none.
_LINE_LENGTH = 78


class EncodedHeader(str):
    """A header value (the text itself, as `str`) that the `email` policies write as
    this class folds it: RFC 2047 encoded-words of UTF-8 cut between characters,
    never on a space, so the recipient's reader gets back exactly the text."""

    name: str

    def __new__(cls, name: str, text: str) -> "EncodedHeader":
        value = super().__new__(cls, text)
        value.name = name
        return value

    def fold(self, *, policy: Policy) -> str:
        """The header's lines as the policy's `fold` would give them (name included)."""
        length = policy.max_line_length or _LINE_LENGTH
        words = Header(str(self), "utf-8", header_name=self.name)
        lines = words.encode(linesep=policy.linesep, maxlinelen=length)
        return f"{self.name}: {lines}{policy.linesep}"


def subject_header(value: str) -> str:
    """`value` made safe (`header_text`) for the Subject, folded so no space is lost."""
    text = header_text(value)
    return text if text.isascii() else EncodedHeader("Subject", text)


class UnsafeHeaders(ValueError):
    """The message's header block could add or hide a header line: not to be sent."""


def check_headers(data: bytes) -> None:
    """Raise UnsafeHeaders unless the message's top-level header block is as we write it."""
    head, end, _ = data.partition(b"\r\n\r\n")
    if not end:
        raise UnsafeHeaders("the header block has no end (no empty line after it)")
    seen: set[str] = set()
    for number, line in enumerate(head.split(b"\r\n"), start=1):
        if b"\r" in line or b"\n" in line:
            raise UnsafeHeaders(f"header line {number} holds a bare CR or LF")
        if line[:1] in (b" ", b"\t"):
            if number == 1:
                raise UnsafeHeaders("the header block starts with a continuation line")
            continue
        name, colon, _ = line.partition(b":")
        if not colon or not _FIELD_NAME.fullmatch(name):
            raise UnsafeHeaders(f"header line {number} is not a header field")
        key = name.decode("ascii").lower()
        if key not in WRITTEN_HEADERS:
            raise UnsafeHeaders(f"unexpected header {name.decode('ascii')!r}")
        if key in seen:
            raise UnsafeHeaders(f"header {name.decode('ascii')!r} appears twice")
        seen.add(key)


class MadeOnceHeaders(HeaderRegistry):
    """The standard header registry, but each header's class is made once: the
    standard one makes a new class (`type(...)`) every time a header is set or read,
    which was a tenth of a confirmation's rendering time (a message with its
    ticket sets or reads some forty headers)."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> Any:
        key = name.lower()
        if (made := self._made.get(key)) is None:
            made = self._made[key] = super().__getitem__(name)
        return made
