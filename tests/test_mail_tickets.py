"""The ticket travels with the attendee: what the seat e-mails carry, parsed from real SMTP.

Each QR code is decoded with zxing-cpp (not with segno, which drew it) and must
give the ticket code the registrant's own view shows, the one the desk scans.
"""

import re
from email.message import EmailMessage

import httpx
import pytest

from app.mail.compose import printable_ticket
from app.tickets import fonts
from tests.fixtures.app import Signup, ticket_shown, token_of
from tests.fixtures.factories import AuthHeaders, MakeEvent
from tests.fixtures.mail import SendQueued, SmtpServer
from tests.html import parse
from tests.letters import TICKET_CODE, unsaved_event, unsaved_registration
from tests.test_mail_messages import html_of, received_by, text_of
from tests.ticket_reading import attachment, decode_qr, inline_images, pdf_text_and_qr

CONTACT = "sideevent@jmdi.example"
ENTRANCE = "Visitors' entrance, 46th Street and First Avenue"
ARRIVAL = "Arrive 45 minutes early for the security screening."
DOOR = {"contact_email": CONTACT, "entrance": ENTRANCE, "arrival_instructions": ARRIVAL}

# The date as each language writes it.
DATE = {
    "en": "Friday, 4 October 2013",
    "fr": "vendredi 4 octobre 2013",
    "es": "viernes, 4 de octubre de 2013",
}
# The fixed wording, per e-mail language: the contact line, the arrival and code labels
# (French spaces its colons).
WORDING = {
    "en": (f"Questions? Write to the organisers at {CONTACT}.", "Arriving:", "Ticket code:"),
    "fr": (
        f"Des questions ? Écrivez aux organisateurs à {CONTACT}.",
        "Arrivée :",
        "Code du billet :",
    ),
    "es": (f"¿Preguntas? Escriba a los organizadores a {CONTACT}.", "Llegada:", "Código del pase:"),
}


def ticket_img(message: EmailMessage) -> dict[str, str]:
    """The attributes of the HTML part's one inline image."""
    (img,) = [
        e for e in parse(html_of(message)).find_all("img") if e.attrs["src"].startswith("cid:")
    ]
    return img.attrs


def ticket_image(message: EmailMessage) -> bytes:
    return inline_images(message)[ticket_img(message)["src"].removeprefix("cid:")]


@pytest.mark.parametrize("language", ["en", "fr", "es"])
async def test_confirmation_carries_the_qr_ticket_the_pdf_and_the_way_in(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
    language: str,
) -> None:
    await make_event(**DOOR)
    created = (await signup(email="ana@cuenca.example", language=language)).json()
    code = await ticket_shown(client, token_of(created))
    message = await received_by(smtp_server, send_queued, "ana@cuenca.example")

    # The inline QR decodes to the ticket code; its text alternative names the code.
    assert decode_qr(ticket_image(message)) == [code]
    assert code in ticket_img(message)["alt"]
    html = parse(html_of(message))
    contact_line, arrival_label, code_label = WORDING[language]
    text = text_of(message)
    assert f"{code_label} {code}" in text
    # Where, when and whom to ask, in the registrant's language, in both parts.
    for body in (text, html.text):
        assert contact_line in body
        assert ENTRANCE in body
        assert ARRIVAL in body
    assert arrival_label.rstrip(":") in text
    assert html.find_all("a", href=f"mailto:{CONTACT}")
    # Replies are not read: the contact line says where to write instead.
    assert message["Reply-To"] is None

    pdf = attachment(message, "application/pdf")
    assert pdf is not None
    pages, pdf_text, codes = pdf_text_and_qr(pdf)
    assert pages == 1
    assert "Ana Quispe" in pdf_text
    assert DATE[language] in pdf_text
    assert code in pdf_text
    assert codes == [code]


async def test_a_guest_without_grounds_pass_is_told_how_the_special_event_ticket_reaches_them(
    make_event: MakeEvent, signup: Signup, smtp_server: SmtpServer, send_queued: SendQueued
) -> None:
    await make_event(**DOOR)
    await signup(email="guest@example.org", language="en", has_un_grounds_pass=False)
    await signup(email="delegate@example.org", language="en", has_un_grounds_pass=True)
    await send_queued()
    guest, delegate = (
        text_of(next(m for m in smtp_server.handler.messages if who in str(m["To"])))
        for who in ("guest@", "delegate@")
    )
    told = "They hand it to you at the visitors' entrance on the day"
    assert "UN special event ticket in your name" in guest and told in guest
    assert "special event ticket" not in delegate


async def test_promotion_and_approval_carry_the_ticket(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=1, **DOOR)
    holder = (await signup()).json()
    waiting = (await signup(email="waiting@example.org", language="en")).json()
    await make_event(slug="reviewed", approval_required=True)
    reviewed = (await signup("reviewed", email="reviewed@example.org", language="en")).json()
    await send_queued()
    smtp_server.handler.forget()

    await client.post(f"/api/registrations/{token_of(holder)}/cancel")
    path = f"/api/admin/events/reviewed/registrations/{reviewed['id']}/approve"
    assert (await client.post(path, headers=await auth_headers("owner"))).status_code == 200

    for registrant, email in ((waiting, "waiting@"), (reviewed, "reviewed@")):
        message = await received_by(smtp_server, send_queued, email)
        code = await ticket_shown(client, token_of(registrant))
        assert decode_qr(ticket_image(message)) == [code]
        pdf = attachment(message, "application/pdf")
        assert pdf is not None and pdf_text_and_qr(pdf)[2] == [code]


@pytest.mark.parametrize("stage", ["waitlisted", "declined", "cancelled"])
async def test_without_a_seat_there_is_no_ticket_but_always_a_contact(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
    stage: str,
) -> None:
    await make_event(capacity=0 if stage != "cancelled" else 5, **DOOR)
    created = (await signup(email="person@example.org", language="en")).json()
    if stage != "waitlisted":
        await send_queued()
        smtp_server.handler.forget()
    if stage == "declined":
        path = f"/api/admin/events/side-event/registrations/{created['id']}/decline"
        assert (await client.post(path, headers=await auth_headers("owner"))).status_code == 200
    elif stage == "cancelled":
        await client.post(f"/api/registrations/{token_of(created)}/cancel")
    last = await received_by(smtp_server, send_queued, "person@example.org")
    assert (await client.get(f"/api/registrations/{token_of(created)}")).json()["status"] == stage
    assert f"Questions? Write to the organisers at {CONTACT}." in text_of(last)
    assert attachment(last, "application/pdf") is None
    assert not inline_images(last)


async def test_without_a_contact_address_the_organisers_are_named(
    event: object, signup: Signup, smtp_server: SmtpServer, send_queued: SendQueued
) -> None:
    await signup(email="ana@cuenca.example", language="en")
    message = await received_by(smtp_server, send_queued, "ana@cuenca.example")
    assert "Questions? Please contact the organisers: JMDI, UNITAR, KNOMAD." in text_of(message)
    assert message["Reply-To"] is None
    assert "replies are not read" in text_of(message)


async def test_the_manage_page_offers_the_same_pdf_ticket(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient
) -> None:
    await make_event(**DOOR)
    created = (await signup(given_name="Ли", family_name="Вэй")).json()
    code = await ticket_shown(client, token_of(created))
    response = await client.get(f"/api/registrations/{token_of(created)}/ticket.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert re.search(
        r'attachment; filename="ticket-side-event\.pdf"', response.headers["content-disposition"]
    )
    pages, text, codes = pdf_text_and_qr(response.content)
    assert (pages, codes) == (1, [code])
    assert "Ли Вэй" in text


async def test_the_pdf_ticket_is_not_found_until_confirmed(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient
) -> None:
    await make_event(capacity=0)
    created = (await signup()).json()
    response = await client.get(f"/api/registrations/{token_of(created)}/ticket.pdf")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    unknown = await client.get("/api/registrations/no-such-token/ticket.pdf")
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    "names", [("Ana", "Quispe"), ("Ли", "Вэй"), ("明", "李"), ("ليلى", "حداد")]
)
def test_the_pdf_ticket_shows_names_in_any_script(names: tuple[str, str]) -> None:
    given, family = names
    event = unsaved_event(**DOOR)
    registration = unsaved_registration(
        event, given_name=given, family_name=family, status="confirmed", waitlist_position=None
    )
    pages, text, codes = pdf_text_and_qr(printable_ticket(registration, TICKET_CODE))
    assert (pages, codes) == (1, [TICKET_CODE])
    # Arabic comes out of the PDF in visual order; each name part is there either way.
    assert all(part in text for part in (given, family))


def test_without_unicode_fonts_the_ticket_still_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    """No font installed at all: Helvetica, "?" for what it cannot show, the QR intact."""
    monkeypatch.setattr(fonts, "_installed", dict)
    event = unsaved_event(**DOOR)
    registration = unsaved_registration(
        event, given_name="Ли", family_name="Вэй", status="confirmed", waitlist_position=None
    )
    pages, text, codes = pdf_text_and_qr(printable_ticket(registration, TICKET_CODE))
    assert (pages, codes) == (1, [TICKET_CODE])
    assert "?? ???" in text
    assert TICKET_CODE in text
