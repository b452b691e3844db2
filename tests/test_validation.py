"""Malformed sign-ups: each gets a 4xx in the contract's error shape and stores nothing."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Registration
from tests.fixtures.factories import signup_body


def without(field: str) -> dict[str, Any]:
    body = signup_body()
    del body[field]
    return body


MALFORMED: dict[str, tuple[Any, int]] = {
    "missing email": (without("email"), 422),
    "missing given_name": (without("given_name"), 422),
    "missing family_name": (without("family_name"), 422),
    "missing organisation": (without("organisation"), 422),
    "missing affiliation_type": (without("affiliation_type"), 422),
    "missing has_un_grounds_pass": (without("has_un_grounds_pass"), 422),
    "missing consent": (without("consent"), 422),
    "email not a string": (signup_body(email=42), 422),
    "given_name a list": (signup_body(given_name=["Ana"]), 422),
    "grounds pass not a bool": (signup_body(has_un_grounds_pass="perhaps"), 422),
    "consent a string": (signup_body(consent="yes please"), 422),
    "overlong given_name": (signup_body(given_name="A" * 101), 422),
    "overlong organisation": (signup_body(organisation="O" * 201), 422),
    "overlong accessibility_needs": (signup_body(accessibility_needs="x" * 2001), 422),
    "overlong email": (signup_body(email="a" * 250 + "@example.org"), 422),
    "blank family_name": (signup_body(family_name="   "), 422),
    "control characters only": (signup_body(given_name="\x00\x07"), 422),
    "bad email": (signup_body(email="not-an-email"), 422),
    "email without domain dot": (signup_body(email="someone@localhost"), 422),
    "unknown country": (signup_body(country="XX"), 422),
    "country name instead of code": (signup_body(country="Ecuador"), 422),
    "unknown affiliation": (signup_body(affiliation_type="pirate"), 422),
    "unknown language": (signup_body(language="de"), 422),
    "consent false": (signup_body(consent=False), 422),
    "unknown field": (signup_body(favourite_colour="blue"), 422),
    "status chosen by client": (signup_body(status="confirmed"), 422),
    "body is a list": ([signup_body()], 422),
    "body is null": (None, 422),
}


@pytest.mark.parametrize("body,status", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_signup_is_refused_and_stores_nothing(
    event: object,
    client: httpx.AsyncClient,
    session: AsyncSession,
    body: Any,
    status: int,
) -> None:
    response = await client.post("/api/events/side-event/registrations", json=body)
    assert response.status_code == status
    payload = response.json()
    assert set(payload) >= {"detail", "code"}
    assert payload["code"] == "validation_error"
    assert isinstance(payload["detail"], list) and payload["detail"]
    assert await session.scalar(select(func.count()).select_from(Registration)) == 0


RAW_BODIES: dict[str, tuple[bytes, str, int, str]] = {
    "not JSON at all": (
        b"given_name=Ana&family_name=Quispe",
        "application/json",
        422,
        "validation_error",
    ),
    "truncated JSON": (b'{"email": "a@example.org", ', "application/json", 422, "validation_error"),
    "empty body": (b"", "application/json", 422, "validation_error"),
    "1 MB body": (
        b'{"email": "' + b"a" * 1_000_000 + b'"}',
        "application/json",
        413,
        "payload_too_large",
    ),
}


@pytest.mark.parametrize("raw,content_type,status,code", RAW_BODIES.values(), ids=RAW_BODIES.keys())
async def test_unparseable_signup_is_refused_and_stores_nothing(
    event: object,
    client: httpx.AsyncClient,
    session: AsyncSession,
    raw: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    response = await client.post(
        "/api/events/side-event/registrations",
        content=raw,
        headers={"Content-Type": content_type},
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    assert "detail" in response.json()
    assert await session.scalar(select(func.count()).select_from(Registration)) == 0


async def test_streamed_body_over_the_limit_is_refused(
    event: object, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 10_000

    response = await client.post(
        "/api/events/side-event/registrations",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert await session.scalar(select(func.count()).select_from(Registration)) == 0


async def test_unknown_route_has_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_wrong_method_has_the_error_shape(event: object, client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/events/side-event")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
