"""The benchmarks `python -m bench NAME` knows, in the order `make bench` runs them."""

from collections.abc import Callable
from dataclasses import dataclass

from bench import broadcast, dashboard, dashboard_table, export_csv, mail, reads, signup
from bench.config import BenchConfig
from bench.servers import BenchRun


@dataclass(frozen=True)
class Benchmark:
    run: Callable[[BenchRun, BenchConfig], None]
    what: str


BENCHMARKS: dict[str, Benchmark] = {
    "signup": Benchmark(
        signup.run, "sign-ups/s, p50, p99, CPU per sign-up: rsvp serve vs the bare stack (wrk)"
    ),
    "export": Benchmark(export_csv.run, "the attendee CSV over HTTP vs COPY, and its memory"),
    "reads": Benchmark(reads.run, "organiser list, search, filter and stats p95 at 100k"),
    "mail": Benchmark(mail.run, "how fast `rsvp worker` drains a backlog to a local SMTP server"),
    "dashboard": Benchmark(
        dashboard.run, "organiser dashboard pages' render time at 100k (overview < 100 ms)"
    ),
    "table": Benchmark(
        dashboard_table.run, "the dashboard's registrations table at 100k vs the API's list"
    ),
    "broadcast": Benchmark(
        broadcast.run, "queueing a broadcast to 10k and 100k over HTTP vs INSERT ... SELECT"
    ),
}

# Benchmarks to come: named here so their place is kept, not run yet. A new one is a
# module with run(bench, config) that prints its table, moved into BENCHMARKS.
PLANNED: dict[str, str] = {}
