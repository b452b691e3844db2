"""Sign-ups over real HTTP: `rsvp serve` against the bare stack, under wrk.

Each cell starts its server afresh (`--workers N`), warms it up, then lets wrk
(another process, CONNECTIONS connections) post new sign-ups for SECONDS. The
server's CPU time (its processes' utime+stime from /proc) and PostgreSQL's are
read before and after, and divided by the sign-ups answered 2xx. Empty-event
cells and bare-stack cells each get a fresh copy of the database; the pre-filled
cells share one database that is topped up from one size to the next.
"""

import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass

from bench.bare_stack import TABLE_DDL
from bench.config import BenchConfig
from bench.load import LoadResult, sign_ups
from bench.prefill import prefill
from bench.processes import cpu_seconds
from bench.servers import EVENT_SLUG, BenchRun, Server
from bench.tables import Target, ms, over, percent, progress, rate, ratio, table, targets_table

BARE = "bare stack"
SERVICE = "rsvp serve"


@dataclass(frozen=True)
class Cell:
    server: str
    workers: int
    prefilled: bool
    registrations: int
    load: LoadResult
    server_cpu_seconds: float
    database_cpu_seconds: float

    @property
    def server_cpu_ms(self) -> float:
        return 1000 * self.server_cpu_seconds / max(1, self.load.ok)

    @property
    def database_cpu_ms(self) -> float:
        return 1000 * self.database_cpu_seconds / max(1, self.load.ok)


def _processes(workers: int) -> str:
    return "1 process" if workers == 1 else f"{workers} processes"


def _registrations(bench: BenchRun, database: str) -> int:
    return int(
        bench.pg.value(
            database,
            "SELECT count(*) FROM registrations r JOIN events e ON e.id = r.event_id "
            "WHERE e.slug = $1",
            EVENT_SLUG,
        )
    )


def _measure(
    bench: BenchRun,
    config: BenchConfig,
    serving: AbstractContextManager[Server],
    *,
    name: str,
    database: str,
    prefilled: bool = False,
) -> Cell:
    with serving as server:
        url = f"{server.base_url}/api/events/{EVENT_SLUG}/registrations"
        progress(f"{name}, {_processes(server.workers)}: warming up")
        sign_ups(
            bench.processes,
            url,
            prefix=f"warm-{uuid.uuid4().hex[:8]}",
            connections=config.connections,
            seconds=config.warmup_seconds,
        )
        registrations = 0 if name == BARE else _registrations(bench, database)
        server_before = cpu_seconds(server.process.pid)
        database_before = cpu_seconds(bench.pg.postmaster_pid)
        load = sign_ups(
            bench.processes,
            url,
            prefix=f"run-{uuid.uuid4().hex[:8]}",
            connections=config.connections,
            seconds=config.seconds,
        )
        server_used = cpu_seconds(server.process.pid) - server_before
        database_used = cpu_seconds(bench.pg.postmaster_pid) - database_before
    progress(
        f"{name}, {_processes(server.workers)}, {registrations:,} registrations: "
        f"{load.per_second:,.1f} sign-ups/s, p99 {load.p99_ms:,.0f} ms"
    )
    return Cell(name, server.workers, prefilled, registrations, load, server_used, database_used)


def measure(bench: BenchRun, config: BenchConfig) -> list[Cell]:
    """The cells compared with each other are measured one after the other, so that
    load from elsewhere on the machine, which comes and goes, weighs on both alike."""
    cells = []
    for workers in config.processes:
        database = bench.pg.clone(f"signup_bare_{workers}")
        bench.pg.execute(database, TABLE_DDL)
        serving = bench.bare_stack(database, workers=workers)
        cells.append(_measure(bench, config, serving, name=BARE, database=database))
        database = bench.pg.clone(f"signup_empty_{workers}")
        serving = bench.service(database, workers=workers)
        cells.append(_measure(bench, config, serving, name=SERVICE, database=database))
    if config.sizes:
        database = bench.pg.clone("signup_filled")
        for size in config.sizes:
            prefill(bench.pg, database, slug=EVENT_SLUG, count=size)
            for workers in config.processes:
                serving = bench.service(database, workers=workers)
                cells.append(
                    _measure(
                        bench, config, serving, name=SERVICE, database=database, prefilled=True
                    )
                )
    return cells


def _bare(cells: list[Cell], workers: int) -> Cell:
    return next(c for c in cells if c.server == BARE and c.workers == workers)


def _service(cells: list[Cell], workers: int, *, prefilled: bool) -> list[Cell]:
    return [
        c
        for c in cells
        if c.server == SERVICE and c.workers == workers and c.prefilled == prefilled
    ]


def _empty(cells: list[Cell], workers: int) -> Cell:
    return _service(cells, workers, prefilled=False)[0]


def targets(cells: list[Cell], processes: tuple[int, ...]) -> list[Target]:
    found = []
    for workers in processes:
        bare, empty = _bare(cells, workers), _empty(cells, workers)
        share = over(empty.load.per_second, bare.load.per_second)
        found.append(
            Target(
                f"{_processes(workers)}, empty event: sign-ups/s >= 50% of the bare stack's",
                percent(share),
                share >= 0.5,
            )
        )
        p99 = over(empty.load.p99_ms, bare.load.p99_ms)
        found.append(
            Target(
                f"{_processes(workers)}, empty event: p99 <= 1.5x the bare stack's",
                f"{ratio(p99)} ({ms(empty.load.p99_ms)} vs {ms(bare.load.p99_ms)})",
                p99 <= 1.5,
            )
        )
        for cell in _service(cells, workers, prefilled=True):
            kept = over(cell.load.per_second, empty.load.per_second)
            found.append(
                Target(
                    f"{_processes(workers)}, {cell.registrations:,} registrations: "
                    ">= 90% of the empty event's sign-ups/s",
                    percent(kept),
                    kept >= 0.9,
                )
            )
    if 1 in processes and 2 in processes:
        one, two = _empty(cells, 1), _empty(cells, 2)
        scale = over(two.load.per_second, one.load.per_second)
        bare_scale = over(_bare(cells, 2).load.per_second, _bare(cells, 1).load.per_second)
        found.append(
            Target(
                "2 processes >= 1.5x one (empty event)",
                f"{ratio(scale)} (bare stack: {ratio(bare_scale)})",
                scale >= 1.5,
            )
        )
    return found


def report(cells: list[Cell], config: BenchConfig) -> str:
    headers = [
        "server",
        "processes",
        "registrations in event",
        "sign-ups/s",
        "p50",
        "p99",
        "server CPU per sign-up",
        "PostgreSQL CPU per sign-up",
        "vs bare stack",
        "failed requests",
    ]
    rows = []
    # Bare stack first, then the empty event, then the pre-filled ones.
    for cell in sorted(cells, key=lambda c: (c.server == SERVICE, c.prefilled)):
        bare = _bare(cells, cell.workers)
        rows.append(
            [
                cell.server,
                str(cell.workers),
                "-" if cell.server == BARE else f"{cell.registrations:,}",
                rate(cell.load.per_second),
                ms(cell.load.p50_ms),
                ms(cell.load.p99_ms),
                ms(cell.server_cpu_ms),
                ms(cell.database_cpu_ms),
                ratio(over(cell.load.per_second, bare.load.per_second)),
                f"{cell.load.failures:,}" + (" FLAGGED" if cell.load.failures else ""),
            ]
        )
    lines = [
        f"Sign-ups over HTTP: wrk, {config.connections} connections, "
        f"{config.seconds:g} s per row (after {config.warmup_seconds:g} s of warm-up)",
        "",
        table(headers, rows, right_from=1),
        "",
        "Targets (issue 11):",
        "",
        targets_table(targets(cells, config.processes)),
    ]
    for cell in cells:
        if cell.load.failures:
            lines.append(
                f"\nFLAGGED: {cell.server}, {_processes(cell.workers)}, "
                f"{cell.registrations:,} registrations: {cell.load.non2xx:,} non-2xx, "
                f"{cell.load.socket_errors:,} socket errors, {cell.load.timeouts:,} timeouts; "
                f"first: {cell.load.first_error or '-'}"
            )
    return "\n".join(lines)


def run(bench: BenchRun, config: BenchConfig) -> None:
    print(report(measure(bench, config), config))
