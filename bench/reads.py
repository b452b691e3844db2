"""What an organiser's dashboard asks for, at READS_ROWS registrations.

One request at a time over a kept-alive connection to `rsvp serve` (1 process),
so each time is one request's latency, not queueing. The baselines are the
same server's /healthz (the HTTP stack alone) and /readyz (plus one database
round trip). If the server says how long it worked (a Server-Timing header),
its p95 is shown too.
"""

import re
import statistics
import time
from dataclasses import dataclass

import httpx

from bench.config import BenchConfig
from bench.prefill import prefill
from bench.servers import EVENT_SLUG, BenchRun
from bench.tables import Target, ms, progress, report_with_targets

WARMUP = 10
TARGET_MS = 20.0
_ADMIN = f"/api/admin/events/{EVENT_SLUG}"
_DURATION = re.compile(r"dur=([0-9.]+)")


@dataclass(frozen=True)
class Read:
    what: str
    path: str
    baseline: bool = False


READS = (
    Read("GET /healthz (baseline: the HTTP stack)", "/healthz", baseline=True),
    Read("GET /readyz (baseline: + one database round trip)", "/readyz", baseline=True),
    Read("list, first page of 50", f"{_ADMIN}/registrations?limit=50"),
    Read("search, a family name (q=garc)", f"{_ADMIN}/registrations?limit=50&q=garc"),
    Read(
        "search, one person (q=prefill-4242@)", f"{_ADMIN}/registrations?limit=50&q=prefill-4242@"
    ),
    Read(
        "filtered list (confirmed, academia, KE)",
        f"{_ADMIN}/registrations?limit=50&status=confirmed&affiliation_type=academia&country=KE",
    ),
    Read("stats", f"{_ADMIN}/stats"),
)


@dataclass(frozen=True)
class Timing:
    read: Read
    client_ms: list[float]
    server_ms: list[float]
    failed: int

    def p(self, percent: int, values: list[float] | None = None) -> float:
        data = self.client_ms if values is None else values
        if len(data) < 2:
            return data[0] if data else float("nan")
        return statistics.quantiles(data, n=100, method="inclusive")[percent - 1]


def _server_ms(response: httpx.Response) -> float | None:
    """The longest `dur` of a Server-Timing header (its total), if there is one."""
    header = response.headers.get("server-timing")
    durations = [float(d) for d in _DURATION.findall(header or "")]
    return max(durations) if durations else None


def time_read(client: httpx.Client, read: Read, config: BenchConfig) -> Timing:
    """`read.path` one request at a time after a warm-up, `config.reads_requests` times
    (or `config.reads_seconds`, whichever comes first)."""
    for _ in range(WARMUP):
        client.get(read.path)
    client_ms: list[float] = []
    server_ms: list[float] = []
    failed = 0
    deadline = time.monotonic() + config.reads_seconds
    while len(client_ms) < config.reads_requests and time.monotonic() < deadline:
        start = time.perf_counter()
        response = client.get(read.path)
        client_ms.append(1000 * (time.perf_counter() - start))
        if response.status_code != 200:
            failed += 1
        served = _server_ms(response)
        if served is not None:
            server_ms.append(served)
    return Timing(read, client_ms, server_ms, failed)


def measure(bench: BenchRun, config: BenchConfig) -> list[Timing]:
    database = bench.pg.clone("reads")
    prefill(bench.pg, database, slug=EVENT_SLUG, count=config.reads_rows)
    timings = []
    with bench.service(database) as server:
        token = bench.organiser_token(server)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
            for read in READS:
                progress(f"timing {read.what}")
                timings.append(time_read(client, read, config))
    return timings


def report(timings: list[Timing], config: BenchConfig) -> str:
    headers = ["request", "requests", "p50", "p95", "p99", "server p95", "failed"]
    headers.append(f"p95 < {TARGET_MS:g} ms")
    rows = []
    for t in timings:
        server = ms(t.p(95, t.server_ms)) if t.server_ms else "-"
        verdict = "-" if t.read.baseline else ("PASS" if t.p(95) < TARGET_MS else "MISS")
        failed = f"{t.failed:,}" + (" FLAGGED" if t.failed else "")
        rows.append(
            [
                t.read.what,
                f"{len(t.client_ms):,}",
                ms(t.p(50)),
                ms(t.p(95)),
                ms(t.p(99)),
                server,
                failed,
                verdict,
            ]
        )
    checked = [t for t in timings if not t.read.baseline]
    slowest = max(checked, key=lambda t: t.p(95))
    targets = [
        Target(
            f"list, search and stats p95 < {TARGET_MS:g} ms at {config.reads_rows:,}",
            f"slowest: {slowest.read.what}, {ms(slowest.p(95))}",
            all(t.p(95) < TARGET_MS for t in checked),
        )
    ]
    title = (
        f"Organiser reads at {config.reads_rows:,} registrations: one request at a time "
        "to `rsvp serve` (1 process), client-side latency"
    )
    return report_with_targets(title, headers, rows, issue=11, targets=targets)


def run(bench: BenchRun, config: BenchConfig) -> None:
    print(report(measure(bench, config), config))
