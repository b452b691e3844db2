"""The benchmarks' knobs, read once from the environment (all optional).

The defaults are the full run (`make bench`, several minutes); the README shows
a quick one (`BENCH_SECONDS=3 BENCH_SIZES=100000 make bench`).
"""

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").replace("_", "").strip()
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _ints(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = os.environ.get(name, "").replace("_", "").strip()
    if not raw:
        return default
    return tuple(int(part) for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class BenchConfig:
    seconds: float
    """Length of each timed load run (one cell of the sign-up table)."""
    warmup_seconds: float
    """Load sent to a freshly started server before it is timed."""
    connections: int
    """Concurrent HTTP connections of the load generator."""
    processes: tuple[int, ...]
    """Server process counts (`--workers`) compared."""
    sizes: tuple[int, ...]
    """Registrations pre-filled in the event for the sign-up rows beyond the empty event."""
    export_sizes: tuple[int, ...]
    """Rows exported; the first and last are compared for flat memory."""
    reads_rows: int
    """Registrations in the event while the organiser's reads are timed."""
    reads_requests: int
    """Requests timed per read (fewer when `reads_seconds` runs out first)."""
    reads_seconds: float
    mail_messages: int
    """Confirmations queued before the mail workers start..."""
    mail_queue_seconds: float
    """...or as many as sign-ups over HTTP queue in this long, if fewer."""
    mail_workers: tuple[int, ...]
    mail_seconds: float
    """Longest a drain is watched; a slower drain is reported from what was sent by then."""
    broadcast_sizes: tuple[int, ...]
    """Registrants an organiser's broadcast is queued for."""
    broadcast_drain: int
    """Messages of one broadcast a worker then sends, timed."""


def load() -> BenchConfig:
    seconds = _float("BENCH_SECONDS", 10.0)
    return BenchConfig(
        seconds=seconds,
        warmup_seconds=_float("BENCH_WARMUP_SECONDS", min(2.0, seconds / 2)),
        connections=_int("BENCH_CONNECTIONS", 16),
        processes=_ints("BENCH_PROCESSES", (1, 2)),
        sizes=_ints("BENCH_SIZES", (100_000, 500_000)),
        export_sizes=_ints("BENCH_EXPORT_SIZES", (10_000, 100_000)),
        reads_rows=_int("BENCH_READS_ROWS", 100_000),
        reads_requests=_int("BENCH_READS_REQUESTS", 300),
        reads_seconds=_float("BENCH_READS_SECONDS", 10.0),
        mail_messages=_int("BENCH_MAIL_MESSAGES", 10_000),
        mail_queue_seconds=_float("BENCH_MAIL_QUEUE_SECONDS", 90.0),
        mail_workers=_ints("BENCH_MAIL_WORKERS", (1, 2)),
        mail_seconds=_float("BENCH_MAIL_SECONDS", 90.0),
        broadcast_sizes=_ints("BENCH_BROADCAST_SIZES", (10_000, 100_000)),
        broadcast_drain=_int("BENCH_BROADCAST_DRAIN", 2_000),
    )
