"""A long subject in any script reaches the recipient word for word: folded over several
lines of encoded-words, no space between words is lost (Python's own folding drops
one where an encoded-word ends on it) and none is added."""

import pytest

from app.mail.headers import header_text
from app.mail.i18n import texts
from app.models import MailKind
from tests.fixtures.app import Signup
from tests.fixtures.factories import MakeEvent
from tests.fixtures.mail import SendQueued, SmtpServer
from tests.test_mail_headers import BCC, HEADERS, REPLY_TO_AND_BODY, SPLIT, received_headers

TITLES = {
    "ar": "الحكومات المحلية: المضي قدماً في خطة الهجرة والتنمية في الأمم المتحدة بنيويورك",
    "zh": "地方政府 推进 移民 与 发展 议程 联合国 总部 纽约 第六 会议室 高级别 对话 边会",
    "ru": "Местное самоуправление: продвижение повестки дня в области миграции и развития",
    "fr": "Gouvernements locaux : faire avancer le programme « migrations et développement »",
}
# The same title after 0..11 more characters, so that word boundaries fall at every
# place of the encoded-words' lines.
SHIFTS = range(12)


@pytest.mark.parametrize("language", sorted(TITLES))
async def test_a_long_subject_keeps_every_space(
    make_event: MakeEvent,
    signup: Signup,
    send_queued: SendQueued,
    smtp_server: SmtpServer,
    language: str,
) -> None:
    expected: dict[str, str] = {}
    for shift in SHIFTS:
        title = f"{'9' * shift} {TITLES[language]}".strip()
        await make_event(slug=f"event-{shift}", title=title)
        email = f"person{shift}@example.org"
        response = await signup(f"event-{shift}", email=email, language=language)
        assert response.status_code == 201
        placeholders = dict.fromkeys(("name", "position", "organisers", "contact", "code"), "")
        written = texts(language, MailKind.confirmed, title=title, **placeholders)
        expected[email] = written["subject"]
    await send_queued()

    received = {
        str(message["To"].addresses[0].addr_spec): str(message["Subject"])
        for message in smtp_server.handler.messages
    }
    assert received == expected
    assert all(len(subject.encode()) > 78 for subject in expected.values())  # folded


@pytest.mark.parametrize("payload", [BCC, REPLY_TO_AND_BODY, SPLIT])
@pytest.mark.parametrize("language", ["ar", "ru"])
async def test_an_encoded_word_in_a_long_non_ascii_subject_stays_inside_it(
    make_event: MakeEvent,
    signup: Signup,
    send_queued: SendQueued,
    smtp_server: SmtpServer,
    payload: str,
    language: str,
) -> None:
    title = f"{TITLES[language]} {payload}"
    await make_event(title=title)
    response = await signup(email="delegate@example.org", language=language)
    assert response.status_code == 201

    assert await received_headers(smtp_server, send_queued, "delegate@example.org") == HEADERS
    (message,) = smtp_server.handler.messages
    placeholders = dict.fromkeys(("name", "position", "organisers", "contact", "code"), "")
    written = texts(language, MailKind.confirmed, title=header_text(title), **placeholders)
    assert str(message["Subject"]) == written["subject"]
