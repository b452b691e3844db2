"""Bodies that are not JSON: 415 on the API, 422 for JSON that does not parse, never a 500.

Each of the five JSON-body endpoints gets every kind of body a client may send
by mistake or on purpose; a page's form gets a page, not JSON. Nothing changes.
"""

import asyncio
import http.client
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.events.seed import seed_event
from app.kit.db import create_engine, create_sessionmaker
from app.main import create_app
from app.models import Registration
from tests.fixtures.app import BASE_URL
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeRegistration, event_fields
from tests.fixtures.live_server import free_port, serve

FORM_BODY = b"given_name=Ana&family_name=Quispe"
MULTIPART = b'--b\r\nContent-Disposition: form-data; name="given_name"\r\n\r\nAna\r\n--b--\r\n'
# (Content-Type or None for none, body)
NOT_JSON: dict[str, tuple[str | None, bytes]] = {
    "no Content-Type": (None, b'{"given_name": "Ana"}'),
    "text/plain": ("text/plain", b'{"given_name": "Ana"}'),
    "form-urlencoded": ("application/x-www-form-urlencoded", FORM_BODY),
    "octet-stream": ("application/octet-stream", b"\x00\xff\xfe binary \x80"),
    "multipart": ("multipart/form-data; boundary=b", MULTIPART),
    "multipart without boundary": ("multipart/form-data", MULTIPART),
    "xml": ("application/xml", b"<registration><given_name>Ana</given_name></registration>"),
    "malformed Content-Type": ("{{not a media type", b'{"given_name": "Ana"}'),
    "text/html latin-1": ("text/html; charset=latin-1", "<p>Ça</p>".encode("latin-1")),
}


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sees a 500 as production would, not as an exception."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def endpoints(
    event: object, make_registration: MakeRegistration, auth_headers: AuthHeaders
) -> list[tuple[str, str, dict[str, str]]]:
    """The five endpoints that take a JSON body: (method, path, headers)."""
    _, token = await make_registration()
    owner = await auth_headers()
    return [
        ("POST", "/api/events/side-event/registrations", {}),
        ("PATCH", f"/api/registrations/{token}", {}),
        ("POST", "/api/admin/events", owner),
        ("PATCH", "/api/admin/events/side-event", owner),
        ("POST", "/api/admin/events/side-event/check-in", owner),
    ]


async def registrations(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Registration)) or 0)


@pytest.mark.parametrize(("content_type", "body"), NOT_JSON.values(), ids=NOT_JSON.keys())
async def test_a_body_that_is_not_json_is_unsupported_media_type(
    client: httpx.AsyncClient,
    session: AsyncSession,
    endpoints: list[tuple[str, str, dict[str, str]]],
    content_type: str | None,
    body: bytes,
) -> None:
    before = await registrations(session)
    sent_type = {"Content-Type": content_type} if content_type else {}
    for method, path, headers in endpoints:
        response = await client.request(method, path, content=body, headers=headers | sent_type)
        assert response.request.headers.get("content-type") == content_type
        assert response.status_code == 415, (method, path, response.text)
        assert response.json() == {
            "detail": "The body must be JSON, sent with Content-Type: application/json.",
            "code": "unsupported_media_type",
        }
    assert await registrations(session) == before


async def test_json_that_does_not_parse_is_a_validation_error_naming_it(
    client: httpx.AsyncClient,
    session: AsyncSession,
    endpoints: list[tuple[str, str, dict[str, str]]],
) -> None:
    before = await registrations(session)
    for method, path, headers in endpoints:
        json_type = headers | {"Content-Type": "application/json"}
        response = await client.request(method, path, content=b'{"given_name": ', headers=json_type)
        assert response.status_code == 422, (method, path, response.text)
        payload = response.json()
        assert payload["code"] == "validation_error"
        assert [error["type"] for error in payload["detail"]] == ["json_invalid"]
        # Not even text: FastAPI's own 400, in the contract's shape.
        response = await client.request(method, path, content=b"\xff\xfe{", headers=json_type)
        assert response.json() == {
            "detail": "There was an error parsing the body",
            "code": "bad_request",
        }
        assert response.status_code == 400
    assert await registrations(session) == before


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/x+json"]
)
async def test_json_under_any_json_media_type_is_read(
    client: httpx.AsyncClient, endpoints: list[tuple[str, str, dict[str, str]]], content_type: str
) -> None:
    method, path, headers = endpoints[4]  # check-in: a well-formed body, an unknown ticket
    response = await client.request(
        method,
        path,
        content=b'{"ticket_code": "nothing"}',
        headers=headers | {"Content-Type": content_type},
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize("path", ["/events/side-event", "/r/{token}/edit", "/r/{token}/cancel"])
async def test_a_page_form_posted_as_multipart_without_boundary_gets_a_page(
    client: httpx.AsyncClient,
    session: AsyncSession,
    event: object,
    make_registration: MakeRegistration,
    path: str,
) -> None:
    _, token = await make_registration()
    before = await registrations(session)
    response = await client.post(
        path.format(token=token),
        content=MULTIPART,
        headers={"Content-Type": "multipart/form-data"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "This page could not be shown" in response.text
    assert await registrations(session) == before


async def test_over_one_kept_alive_connection_every_body_is_answered(
    make_database: Callable[[], Awaitable[str]], clock: FakeClock, tmp_path: Path
) -> None:
    """Against real uvicorn: a 500 used to make it drop the connection without an answer."""
    database_url = await make_database()
    engine = create_engine(database_url, pool_size=1)
    async with create_sessionmaker(engine)() as session, session.begin():
        await seed_event(session, event_fields(), now=clock.now())
    await engine.dispose()
    port = free_port()
    settings = Settings(
        database_url=database_url,
        base_url=f"http://127.0.0.1:{port}",
        data_dir=tmp_path,
        rate_limit_enabled=False,
        mail_worker_in_process=False,
        _env_file=None,
    )

    def post_all() -> list[tuple[int, str | None]]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        answers = []
        for content_type, body in NOT_JSON.values():
            headers = {"Content-Type": content_type} if content_type else {}
            connection.request("POST", "/api/events/side-event/registrations", body, headers)
            response = connection.getresponse()
            response.read()
            answers.append((response.status, response.getheader("connection")))
        connection.close()
        return answers

    with serve(create_app(settings, clock=clock), port):
        answers = await asyncio.to_thread(post_all)
    assert answers == [(415, None)] * len(NOT_JSON)
