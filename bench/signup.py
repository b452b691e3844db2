"""Sign-ups under concurrency: the full HTTP path against bare INSERTs.

Ours: N sign-ups through the ASGI app (validation, event row lock, duplicate and
organisation checks, waitlist numbering, commit per request), `CONCURRENCY` at a
time. Baseline: the same number of single-row INSERTs, one transaction each, on
as many connections, with no rules at all. The ratio is the price of the rules.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from app.config import Settings
from app.kit.db import create_engine, create_sessionmaker
from app.main import create_app
from bench.database import bench_database

SIGNUPS = 1000
CONCURRENCY = 50
EVENT = "local-government-migration-development-2013"


def _body(n: int) -> dict[str, Any]:
    return {
        "email": f"bench{n}@example.org",
        "given_name": "Ana",
        "family_name": f"Person {n}",
        "organisation": f"Organisation {n}",
        "affiliation_type": "civil_society",
        "country": "EC",
        "has_un_grounds_pass": False,
        "consent": True,
    }


async def _bounded(jobs: list[Callable[[], Awaitable[None]]]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def run(job: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(run(job) for job in jobs))


async def _ours(url: str) -> float:
    engine = create_engine(url, pool_size=CONCURRENCY // 2)
    settings = Settings(database_url=url, rate_limit_enabled=False, _env_file=None)
    app = create_app(settings)
    app.state.sessionmaker = create_sessionmaker(engine, settings=settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        def job(n: int) -> Callable[[], Awaitable[None]]:
            async def post() -> None:
                response = await client.post(f"/api/events/{EVENT}/registrations", json=_body(n))
                assert response.status_code == 201, response.text

            return post

        start = time.perf_counter()
        await _bounded([job(n) for n in range(SIGNUPS)])
        elapsed = time.perf_counter() - start
    await engine.dispose()
    return elapsed


async def _baseline(url: str) -> float:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    pool = await asyncpg.create_pool(dsn, min_size=CONCURRENCY // 2, max_size=CONCURRENCY // 2)
    await pool.execute("CREATE TABLE bare_signups (email text PRIMARY KEY, body text)")

    def job(n: int) -> Callable[[], Awaitable[None]]:
        async def insert() -> None:
            await pool.execute("INSERT INTO bare_signups VALUES ($1, $2)", f"b{n}", str(_body(n)))

        return insert

    start = time.perf_counter()
    await _bounded([job(n) for n in range(SIGNUPS)])
    elapsed = time.perf_counter() - start
    await pool.close()
    return elapsed


def run() -> None:
    print(f"{SIGNUPS:,} sign-ups, {CONCURRENCY} at a time")
    with bench_database() as url:
        baseline = asyncio.run(_baseline(url))
        ours = asyncio.run(_ours(url))
    print()
    print("| path | time | sign-ups per second | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| bare INSERT (baseline) | {baseline:.2f} s | {SIGNUPS / baseline:,.0f} | 1.0x |")
    print(
        f"| POST /api/events/{{slug}}/registrations | {ours:.2f} s "
        f"| {SIGNUPS / ours:,.0f} | {ours / baseline:.1f}x |"
    )
