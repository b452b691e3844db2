"""The access log keeps every request, but never a registrant's secret token.

`rsvp serve` applying it is tested end to end in test_cli.py.
"""

import logging

import pytest

from app.access_log import RedactTokens, redact

TOKEN = "Zx9-_aB3kLmN0pQrStUvWxYz0123456789abcdefGHI"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/r/{TOKEN}", "/r/[token]"),
        (f"/r/{TOKEN}?done=updated", "/r/[token]?done=updated"),
        (f"/r/{TOKEN}/cancel", "/r/[token]/cancel"),
        (f"/api/registrations/{TOKEN}", "/api/registrations/[token]"),
        (f"/api/registrations/{TOKEN}/calendar.ics", "/api/registrations/[token]/calendar.ics"),
        ("/api/registrations/a%2Fb%20c/ticket.svg", "/api/registrations/[token]/ticket.svg"),
        ("/api/events/side-event/registrations", "/api/events/side-event/registrations"),
        ("/events/side-event?lang=fr", "/events/side-event?lang=fr"),
        ("/static/site.css", "/static/site.css"),
        ("/r/", "/r/"),
    ],
)
def test_only_the_token_segment_is_redacted(path: str, logged: str) -> None:
    assert redact(path) == logged


def _access_record(path: str) -> logging.LogRecord:
    # As uvicorn's h11/httptools protocols log each response.
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:50000", "GET", path, "1.1", 200), None,
    )  # fmt: skip


def test_the_filter_rewrites_the_path_and_keeps_the_line() -> None:
    record = _access_record(f"/r/{TOKEN}/edit")
    assert RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:50000 - "GET /r/[token]/edit HTTP/1.1" 200'
