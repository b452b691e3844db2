"""The attendee CSV through the real endpoint against PostgreSQL's own COPY.

GET /api/admin/events/{slug}/registrations.csv (an owner's bearer token, from
`rsvp create-organiser` and POST /api/auth/token) is read to its last byte from
`rsvp serve`; the baseline is `COPY (SELECT the same columns of the same rows)
TO STDOUT WITH CSV` into the bench over PostgreSQL's socket. Both best of
REPEATS. While the export streams, the server's resident memory is sampled:
its peak growth should not depend on the number of rows (streaming, not
building the file in memory).
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import httpx

from bench.config import BenchConfig
from bench.postgres import Postgres
from bench.prefill import prefill
from bench.processes import process_tree, rss_bytes
from bench.servers import EVENT_SLUG, BenchRun, Server
from bench.tables import Target, over, progress, ratio, table, targets_table

REPEATS = 3
SAMPLE_SECONDS = 0.005

# The export's columns (README, `columns`), in its default order.
COLUMNS = (
    "id", "event_slug", "email", "given_name", "family_name", "organisation", "job_title",
    "affiliation_type", "country", "language", "has_un_grounds_pass", "accessibility_needs",
    "status", "waitlist_position", "checked_in_at", "created_at", "updated_at",
    "invitation_id", "companion_of", "substitute_for", "offer_expires_at",
)  # fmt: skip


@dataclass(frozen=True)
class Measure:
    rows: int
    http_seconds: float
    copy_seconds: float
    http_bytes: int
    copy_bytes: int
    rss_growth: int


class PeakMemory:
    """Samples a process tree's resident memory in a thread while a block runs.

    The tree is found once, before: finding it reads all of /proc (6 ms of CPU,
    more than the sampling interval), and the sampling thread then held the GIL
    of the process reading the export most of the time, slowing what it timed."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.members = process_tree(pid)
        self.start = rss_bytes(pid, self.members)
        self.peak = self.start
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, rss_bytes(self.pid, self.members))

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid, self.members))

    @property
    def growth(self) -> int:
        return self.peak - self.start


def _http_export(server: Server, token: str) -> tuple[float, int, int]:
    """Seconds to the last byte, bytes, peak RSS growth of the server meanwhile."""
    url = f"{server.base_url}/api/admin/events/{EVENT_SLUG}/registrations.csv"
    headers = {"Authorization": f"Bearer {token}"}
    size = 0
    with PeakMemory(server.process.pid) as memory:
        start = time.perf_counter()
        with httpx.stream("GET", url, headers=headers, timeout=300) as response:
            if response.status_code != 200:
                response.read()
                raise RuntimeError(f"export answered {response.status_code}: {response.text}")
            for chunk in response.iter_raw():
                size += len(chunk)
        elapsed = time.perf_counter() - start
    return elapsed, size, memory.growth


def copy_query(present: set[str]) -> str:
    """The export's rows and columns as one SELECT; a column the table no longer has
    (the app may come to derive it) is NULL."""
    expressions = []
    for column in COLUMNS:
        if column == "event_slug":
            expressions.append("e.slug")
        elif column in present:
            expressions.append(f"r.{column}")
        else:
            expressions.append(f"NULL AS {column}")
    order = "r.signup_seq" if "signup_seq" in present else "r.created_at, r.id"
    return (
        f"SELECT {', '.join(expressions)} FROM registrations r "
        f"JOIN events e ON e.id = r.event_id WHERE e.slug = '{EVENT_SLUG}' ORDER BY {order}"
    )


def _copy(pg: Postgres, database: str) -> tuple[float, int]:
    async def work(conn: asyncpg.Connection) -> tuple[float, int]:
        present = {
            row["column_name"]
            for row in await conn.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'registrations'"
            )
        }
        size = 0

        async def sink(data: bytes) -> None:
            nonlocal size
            size += len(data)

        start = time.perf_counter()
        await conn.copy_from_query(copy_query(present), output=sink, format="csv", header=True)
        return time.perf_counter() - start, size

    return pg.run(database, work)


def _best(measure: Callable[[], tuple[float, int]]) -> tuple[float, int]:
    return min(measure() for _ in range(REPEATS))


def measure(bench: BenchRun, config: BenchConfig) -> list[Measure]:
    database = bench.pg.clone("export")
    results = []
    with bench.service(database) as server:
        token = bench.organiser_token(server)
        warmed = False
        for size in config.export_sizes:
            prefill(bench.pg, database, slug=EVENT_SLUG, count=size)
            if not warmed:  # first-use costs (imports, caches) are not the export's
                _http_export(server, token)
                warmed = True
            progress(f"exporting {size:,} rows, best of {REPEATS}")
            runs = [_http_export(server, token) for _ in range(REPEATS)]
            http_seconds, http_bytes = min((seconds, size) for seconds, size, _ in runs)
            growth = max(grown for _, _, grown in runs)
            copy_seconds, copy_bytes = _best(lambda: _copy(bench.pg, database))
            results.append(
                Measure(size, http_seconds, copy_seconds, http_bytes, copy_bytes, growth)
            )
    return results


def _mb(value: int) -> str:
    return f"{value / 1e6:,.1f} MB"


def targets(results: list[Measure]) -> list[Target]:
    largest, smallest = results[-1], results[0]
    speed = over(largest.http_seconds, largest.copy_seconds)
    found = [
        Target(
            f"CSV of {largest.rows:,} rows within 1.5x of COPY",
            ratio(speed),
            speed <= 1.5,
        )
    ]
    if len(results) > 1:
        flat = largest.rss_growth <= max(2 * smallest.rss_growth, 10_000_000)
        found.append(
            Target(
                f"flat memory: peak RSS growth at {largest.rows:,} rows <= 2x that at "
                f"{smallest.rows:,} (or under 10 MB)",
                f"{_mb(largest.rss_growth)} vs {_mb(smallest.rss_growth)}",
                flat,
            )
        )
    return found


def report(results: list[Measure]) -> str:
    headers = [
        "rows",
        "HTTP export",
        "COPY TO STDOUT",
        "ratio",
        "HTTP size",
        "COPY size",
        "server peak RSS growth",
    ]
    rows = [
        [
            f"{m.rows:,}",
            f"{m.http_seconds:.3f} s",
            f"{m.copy_seconds:.3f} s",
            ratio(over(m.http_seconds, m.copy_seconds)),
            _mb(m.http_bytes),
            _mb(m.copy_bytes),
            _mb(m.rss_growth),
        ]
        for m in results
    ]
    return "\n".join(
        [
            f"Attendee CSV: GET .../registrations.csv from `rsvp serve` (1 process) vs COPY "
            f"of the same rows and columns, best of {REPEATS}",
            "",
            table(headers, rows),
            "",
            "Targets (issue 11):",
            "",
            targets_table(targets(results)),
        ]
    )


def run(bench: BenchRun, config: BenchConfig) -> None:
    print(report(measure(bench, config)))
