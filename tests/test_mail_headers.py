"""No name, organisation or title can add a header line to an e-mail (RFC 2047 included).

Messages go through the real SMTP server and are read back; their header set
must be exactly the one the composer writes, and the only recipient the
registrant. The sanitiser is also tested on its own, against both ways a mail
parser may treat encoded-words (decoding them, as Python 3.11's `email`
package does inside a display name, or leaving them alone).
"""

import re
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from email.utils import getaddresses

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.mail.headers import UnsafeHeaders, check_headers, header_text
from app.models import DeliveryState, OutboxMessage
from tests.fixtures.app import Signup
from tests.fixtures.factories import AuthHeaders
from tests.fixtures.mail import SendQueued, SmtpServer, queued_messages

BCC = "=?utf-8?q?Ana=0D=0ABcc:_v@evil.example?="
REPLY_TO_AND_BODY = "=?utf-8?q?x=0D=0AReply-To:_r@evil.example=0D=0A=0D=0AWrite_here?="
BASE64 = "=?UTF-8?B?QW5hDQpCY2M6IGJAZXZpbC5leGFtcGxl?="  # "Ana\r\nBcc: b@evil.example"
LOWERCASE = "=?utf-8?b?QW5hDQpCY2M6IGJAZXZpbC5leGFtcGxl?="
SPLIT = "=?utf-8?q?Ana=0D?= =?utf-8?q?=0ABcc:_s@evil.example?="
NESTED = "=?utf-8?q?=3D=3Futf-8=3Fq=3Fx=3D0D=3D0ABcc:_n@evil.example=3F=3D?="
ADJACENT = "Ana=?utf-8?q?=0D=0ABcc:_j@evil.example?=Quispe"
LATIN1 = "=?iso-8859-1?q?Ana=0D=0ABcc:_l@evil.example?="
PAYLOADS = [BCC, REPLY_TO_AND_BODY, BASE64, LOWERCASE, SPLIT, NESTED, ADJACENT, LATIN1]

# What every registrant message carries, no more (Date is added when it is sent).
ADDRESSING = {"Date", "Subject", "From", "To", "Message-ID", "Auto-Submitted"}
HEADERS = ADDRESSING | {"MIME-Version", "Content-Type", "Content-Language"}


FOLD = re.compile(r"\r?\n[ \t]")


def decoded(value: str) -> str:
    """The value as a parser that decodes every encoded-word in it would read it."""
    return str(make_header(decode_header(value)))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_payload_would_break_a_line_if_decoded(payload: str) -> None:
    assert "\r" in decoded(payload) or "\n" in decoded(payload) or "=?" in decoded(payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_sanitised_text_holds_no_encoded_word_and_no_break_decoded_or_not(
    payload: str,
) -> None:
    safe = header_text(payload)
    assert "=?" not in safe
    for reading in (safe, decoded(safe)):
        assert "\r" not in reading and "\n" not in reading


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("Ana Quispe", "Ana Quispe"),
        ("Ana\r\nBcc: v@evil.example", "Ana Bcc: v@evil.example"),
        ("Ana\u2028Bcc:\u0085x", "Ana Bcc: x"),
        ("==??", "== ??"),
        ("=?=?", "= ?= ?"),
        ("Çağlar Ñuñez 李", "Çağlar Ñuñez 李"),
    ],
)
def test_header_text_keeps_plain_names_and_breaks_only_what_is_dangerous(
    text: str, safe: str
) -> None:
    assert header_text(text) == safe


async def received_headers(
    smtp_server: SmtpServer, send_queued: SendQueued, recipient: str
) -> set[str]:
    """Send what is queued; the header names of the one message received, read both ways:
    decoding encoded-words (policy.default) and leaving them alone (compat32)."""
    await send_queued()
    (message,) = smtp_server.handler.messages
    (wire,) = smtp_server.handler.received
    assert smtp_server.handler.recipients == [recipient]
    assert [address for _, address in getaddresses([str(message["To"])])] == [recipient]
    raw = BytesParser(policy=policy.compat32).parsebytes(wire)
    assert sorted(raw.keys()) == sorted(message.keys())
    unfolded = [FOLD.sub(" ", value) for value in raw.values()]
    assert all("\n" not in value and "\r" not in value for value in unfolded)
    assert all("\n" not in str(value) for value in message.values())
    return set(message.keys())


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", ["given_name", "family_name", "organisation", "job_title"])
async def test_a_signup_with_an_encoded_word_gets_exactly_the_usual_headers(
    event: object,
    signup: Signup,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
    field: str,
    payload: str,
) -> None:
    response = await signup(email="delegate@example.org", language="en", **{field: payload})
    assert response.status_code == 201
    assert await received_headers(smtp_server, send_queued, "delegate@example.org") == HEADERS


@pytest.mark.parametrize("payload", [BCC, REPLY_TO_AND_BODY, SPLIT])
async def test_an_event_title_with_an_encoded_word_stays_inside_the_subject(
    event: object,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    signup: Signup,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
    payload: str,
) -> None:
    edited = await client.patch(
        "/api/admin/events/side-event",
        json={"title": f"Side-event {payload}"},
        headers=await auth_headers(),
    )
    assert edited.status_code == 200
    assert (await signup(email="delegate@example.org", language="en")).status_code == 201
    assert await received_headers(smtp_server, send_queued, "delegate@example.org") == HEADERS
    (message,) = smtp_server.handler.messages
    # Folded before the long word: the space that starts the next line is the fold's.
    assert (
        str(message["Subject"]).strip()
        == f"Registration confirmed: Side-event {header_text(payload)}"
    )


GOOD = b"Subject: Hello\r\n there\r\nTo: a@example.org\r\n\r\nbody\r\n"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"Subject: Hi\r\nBcc: v@evil.example\r\n\r\nbody", "unexpected header 'Bcc'"),
        (b"Subject: Hi\r\nReply-To: r@evil.example\r\n\r\n", "unexpected header 'Reply-To'"),
        (b"Subject: Hi\nBcc: v@evil.example\r\n\r\n", "bare CR or LF"),
        (b"Subject: Hi\rTo: v@evil.example\r\n\r\n", "bare CR or LF"),
        (b"To: a@example.org\r\nTo: v@evil.example\r\n\r\n", "appears twice"),
        (b" folded: first\r\n\r\n", "starts with a continuation"),
        (b"Subject Hi\r\n\r\n", "not a header field"),
        (b"Subject: Hi\r\n", "no end"),
    ],
)
def test_a_header_block_we_did_not_write_is_refused(data: bytes, reason: str) -> None:
    check_headers(GOOD)
    with pytest.raises(UnsafeHeaders, match=reason):
        check_headers(data)


async def test_a_queued_message_with_an_added_header_is_marked_failed_and_not_sent(
    event: object,
    signup: Signup,
    session: AsyncSession,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await signup(email="delegate@example.org")
    # The row as if its message had been rendered and stored, then tampered with.
    (message,) = await queued_messages(session, "delegate@example.org")
    body = b"Bcc: v@evil.example\r\n" + message.as_bytes(policy=policy.SMTP)
    await session.execute(update(OutboxMessage).values(body=body))

    assert await send_queued() == 1
    row = await session.scalar(select(OutboxMessage).execution_options(populate_existing=True))
    assert row is not None
    assert (row.state, row.attempts) == (DeliveryState.failed, 1)
    assert row.last_error == "not sent, unsafe headers: unexpected header 'Bcc'"
    assert smtp_server.handler.messages == []
