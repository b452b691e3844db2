"""Sign-up load from wrk, in a process of its own, reading its summary line."""

import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

from bench.processes import Processes, Started

SCRIPT = Path(__file__).with_name("signup.lua")
THREADS = 2
# wrk gives up on an answer after this long (counted as a timeout, and flagged).
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class LoadResult:
    answers: int
    seconds: float
    non2xx: int
    socket_errors: int
    timeouts: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    first_error: str

    @property
    def ok(self) -> int:
        """Sign-ups answered 2xx."""
        return self.answers - self.non2xx

    @property
    def failures(self) -> int:
        return self.non2xx + self.socket_errors + self.timeouts

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def _wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    return found


def start(
    processes: Processes, url: str, *, prefix: str, connections: int, seconds: float
) -> Started:
    """Starts wrk posting new sign-ups (e-mails `prefix-...`) to `url` for `seconds`."""
    argv = [_wrk(), "-t", str(min(THREADS, connections)), "-c", str(connections)]
    argv += ["-d", f"{max(1, round(seconds))}s", "--timeout", f"{TIMEOUT_SECONDS}s"]
    argv += ["-s", str(SCRIPT), url, "--", prefix]
    return processes.start("wrk", argv)


def finish(processes: Processes, wrk: Started, *, interrupt: bool = False) -> LoadResult:
    """Waits for wrk to end (at once with `interrupt`: wrk stops on SIGINT and still
    prints its summary) and reads the summary."""
    if interrupt:
        os.kill(wrk.pid, signal.SIGINT)
    wrk.popen.wait()
    processes.stop(wrk)
    output = wrk.log.read_text(errors="replace")
    if wrk.popen.returncode != 0:
        raise RuntimeError(f"wrk failed ({wrk.popen.returncode}):\n{output}")
    return _parse(output)


def sign_ups(
    processes: Processes, url: str, *, prefix: str, connections: int, seconds: float
) -> LoadResult:
    """wrk posting new sign-ups to `url` from `connections` connections for `seconds`."""
    wrk = start(processes, url, prefix=prefix, connections=connections, seconds=seconds)
    try:
        return finish(processes, wrk)
    finally:
        processes.stop(wrk)  # interrupted: before the server it loads


def _parse(output: str) -> LoadResult:
    summary: dict[str, int] = {}
    first_error = ""
    for line in output.splitlines():
        if line.startswith("BENCH "):
            summary = {k: int(v) for k, v in (pair.split("=") for pair in line.split()[1:])}
        elif line.startswith("BENCH_FIRST_ERROR"):
            first_error = line.removeprefix("BENCH_FIRST_ERROR").strip()
    if not summary:
        raise RuntimeError(f"no summary line in wrk's output:\n{output}")
    return LoadResult(
        answers=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        non2xx=summary["non2xx"],
        socket_errors=summary["socket_errors"],
        timeouts=summary["timeouts"],
        p50_ms=summary["p50_us"] / 1e3,
        p90_ms=summary["p90_us"] / 1e3,
        p99_ms=summary["p99_us"] / 1e3,
        max_ms=summary["max_us"] / 1e3,
        first_error=first_error,
    )
