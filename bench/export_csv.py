"""Attendee CSV export: our streaming export against PostgreSQL's own COPY.

Both produce the same rows and columns from the same database in the same run;
the ratio is ours / COPY. Peak memory is the Python heap's high-water mark
(tracemalloc) while streaming, measured in a separate pass so it doesn't slow
the timed one.
"""

import asyncio
import time
import tracemalloc
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url

from app.events.service import get_event
from app.exports.attendees_csv import COLUMNS, stream_csv
from app.kit.db import create_engine, create_sessionmaker
from app.registrations.filters import RegistrationFilters
from bench.database import bench_database, insert_registrations

SIZES = (10_000, 100_000)
REPEATS = 3


@dataclass(frozen=True)
class Measure:
    rows: int
    ours_seconds: float
    copy_seconds: float
    ours_bytes: int
    copy_bytes: int
    peak_bytes: int


async def _ours(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    total = 0
    async with create_sessionmaker(engine)() as session, session.begin():
        event = await get_event(session, "local-government-migration-development-2013")
        async for chunk in stream_csv(
            session, event=event, filters=RegistrationFilters(), columns=list(COLUMNS)
        ):
            total += len(chunk)
    await engine.dispose()
    return total


async def _copy(url: str) -> int:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    total = 0

    async def sink(data: bytes) -> None:
        nonlocal total
        total += len(data)

    columns = ", ".join("'" + c + "'" if c == "event_slug" else c for c in COLUMNS)
    try:
        await conn.copy_from_query(
            f"SELECT {columns} FROM registrations WHERE event_id = 1 ORDER BY signup_seq",
            output=sink,
            format="csv",
            header=True,
        )
    finally:
        await conn.close()
    return total


def _best_time(fn: object, url: str) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        size = asyncio.run(fn(url))  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best, size


def _peak(url: str) -> int:
    tracemalloc.start()
    try:
        asyncio.run(_ours(url))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure() -> list[Measure]:
    results = []
    with bench_database() as url:
        inserted = 0
        for size in SIZES:
            print(f"  exporting {size:,} rows ...", flush=True)
            asyncio.run(insert_registrations(url, inserted + 1, size))
            inserted = size
            ours, ours_bytes = _best_time(_ours, url)
            copy, copy_bytes = _best_time(_copy, url)
            results.append(Measure(size, ours, copy, ours_bytes, copy_bytes, _peak(url)))
    return results


def run() -> None:
    print("CSV export of the attendee list (best of 3)")
    results = measure()
    print()
    print("| rows | ours | COPY TO STDOUT | ratio | our size | COPY size | peak memory |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for m in results:
        print(
            f"| {m.rows:,} | {m.ours_seconds:.3f} s | {m.copy_seconds:.3f} s "
            f"| {m.ours_seconds / m.copy_seconds:.1f}x | {m.ours_bytes / 1e6:.1f} MB "
            f"| {m.copy_bytes / 1e6:.1f} MB | {m.peak_bytes / 1e6:.2f} MB |"
        )
    small, large = results[0], results[-1]
    growth = large.peak_bytes / small.peak_bytes
    print(
        f"\nPeak memory grows {growth:.2f}x for {large.rows // small.rows}x the rows "
        "(flat means streaming works)."
    )
