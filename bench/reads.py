"""What an organiser's dashboard asks for, at READS_ROWS registrations.

One request at a time over a kept-alive connection to `rsvp serve` (1 process),
so each time is one request's latency, not queueing. The baselines are the
same server's /healthz (the HTTP stack alone) and /readyz (plus one database
round trip). The server says in a Server-Timing header how long it worked on
each request (`app`) and the CPU time its process spent meanwhile (`cpu`): shown
next to the client's times, they tell the request's own cost from the waiting
that a loaded machine adds. The target is judged on the server's p95.
"""

import re
import statistics
import time
from dataclasses import dataclass, field

import httpx

from bench.config import BenchConfig
from bench.prefill import prefill
from bench.servers import EVENT_SLUG, BenchRun
from bench.tables import Target, ms, progress, report_with_targets

WARMUP = 10
TARGET_MS = 20.0
_ADMIN = f"/api/admin/events/{EVENT_SLUG}"
_DURATION = re.compile(r"(\w+);dur=([0-9.]+)")


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
    """The server's own time (Server-Timing `app`), where it says it."""
    failed: int
    cpu_ms: list[float] = field(default_factory=list)
    """The server process's CPU time for the request (Server-Timing `cpu`)."""

    def p(self, percent: int, values: list[float] | None = None) -> float:
        data = self.client_ms if values is None else values
        if len(data) < 2:
            return data[0] if data else float("nan")
        return statistics.quantiles(data, n=100, method="inclusive")[percent - 1]


def server_timing(response: httpx.Response) -> dict[str, float]:
    """The durations of a Server-Timing header by name (`app`, `cpu`), in ms."""
    header = response.headers.get("server-timing") or ""
    return {name: float(duration) for name, duration in _DURATION.findall(header)}


def time_read(client: httpx.Client, read: Read, config: BenchConfig) -> Timing:
    """`read.path` one request at a time after a warm-up, `config.reads_requests` times
    (or `config.reads_seconds`, whichever comes first)."""
    for _ in range(WARMUP):
        client.get(read.path)
    client_ms: list[float] = []
    server_ms: list[float] = []
    cpu_ms: list[float] = []
    failed = 0
    deadline = time.monotonic() + config.reads_seconds
    while len(client_ms) < config.reads_requests and time.monotonic() < deadline:
        start = time.perf_counter()
        response = client.get(read.path)
        client_ms.append(1000 * (time.perf_counter() - start))
        if response.status_code != 200:
            failed += 1
        timing = server_timing(response)
        if "app" in timing:
            server_ms.append(timing["app"])
        if "cpu" in timing:
            cpu_ms.append(timing["cpu"])
    return Timing(read, client_ms, server_ms, failed, cpu_ms)


def judged(t: Timing) -> float:
    """The p95 a target is judged on: the server's own time where it says it, else
    the client's (the loopback adds a fraction of a ms)."""
    return t.p(95, t.server_ms) if t.server_ms else t.p(95)


def served_columns(t: Timing) -> list[str]:
    """Server p50 and p95, and its CPU time per request at p50 ("-" where unsaid)."""
    server = [ms(t.p(50, t.server_ms)), ms(t.p(95, t.server_ms))] if t.server_ms else ["-"] * 2
    return [*server, ms(t.p(50, t.cpu_ms)) if t.cpu_ms else "-"]


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
    headers = ["request", "requests", "p50", "p95", "p99", "server p50", "server p95"]
    headers += ["server CPU p50", "failed", f"server p95 < {TARGET_MS:g} ms"]
    rows = []
    for t in timings:
        verdict = "-" if t.read.baseline else ("PASS" if judged(t) < TARGET_MS else "MISS")
        failed = f"{t.failed:,}" + (" FLAGGED" if t.failed else "")
        client = [ms(t.p(50)), ms(t.p(95)), ms(t.p(99))]
        rows.append([t.read.what, f"{len(t.client_ms):,}", *client, *served_columns(t), failed])
        rows[-1].append(verdict)
    checked = [t for t in timings if not t.read.baseline]
    slowest = max(checked, key=judged)
    slowest_client = max(checked, key=lambda t: t.p(95))
    targets = [
        Target(
            f"list, search and stats p95 < {TARGET_MS:g} ms at {config.reads_rows:,} (server time)",
            f"slowest: {slowest.read.what}, {ms(judged(slowest))}",
            all(judged(t) < TARGET_MS for t in checked) and not any(t.failed for t in checked),
        ),
        Target(
            "the same at the client (loopback, and this machine's load)",
            f"slowest: {slowest_client.read.what}, {ms(slowest_client.p(95))}",
            all(t.p(95) < TARGET_MS for t in checked),
        ),
    ]
    title = (
        f"Organiser reads at {config.reads_rows:,} registrations: one request at a time "
        "to `rsvp serve` (1 process); latency at the client, and the server's own time "
        "and CPU time from its Server-Timing header"
    )
    return report_with_targets(title, headers, rows, issue=11, targets=targets)


def run(bench: BenchRun, config: BenchConfig) -> None:
    print(report(measure(bench, config), config))
