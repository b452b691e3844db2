"""Liveness and readiness."""

import re
from typing import Any

import httpx

from app.kit.db import create_engine, create_sessionmaker
from tests.fixtures.app import BASE_URL


async def test_healthz_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_is_ok_when_the_database_answers(client: httpx.AsyncClient) -> None:
    assert (await client.get("/readyz")).status_code == 200


async def test_readyz_is_503_when_the_database_does_not_answer(app: Any) -> None:
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none", pool_size=1)
    app.state.sessionmaker = create_sessionmaker(engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        response = await c.get("/readyz")
    await engine.dispose()
    assert response.status_code == 503
    assert response.json()["code"] == "not_ready"
    assert response.headers["Retry-After"] == "5"


async def test_every_answer_says_how_long_the_app_worked_on_it(
    client: httpx.AsyncClient,
) -> None:
    """One Server-Timing header (what `make bench` reports as server time and CPU
    time), on the API, on a page and on a refusal alike."""
    for path in ("/healthz", "/readyz", "/admin/sign-in", "/api/no-such-thing"):
        response = await client.get(path)
        timings = response.headers.get_list("server-timing")
        assert len(timings) == 1, (path, timings)
        assert re.fullmatch(r"app;dur=\d+\.\d, cpu;dur=\d+\.\d", timings[0]), (path, timings)
