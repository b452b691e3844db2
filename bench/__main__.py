"""`make bench` / `python -m bench [NAME ...]`: run benchmarks and print their tables.

One embedded PostgreSQL and one temporary folder serve the whole run; every
process started is stopped at the end, on an error or Ctrl-C (or SIGTERM) too.
Tables go to standard output, progress to standard error.
"""

import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from bench.config import load
from bench.postgres import TEMPLATE, embedded_postgres
from bench.processes import Processes
from bench.registry import BENCHMARKS, PLANNED
from bench.servers import REPO, BenchRun
from bench.tables import progress


def _environment() -> dict[str, str]:
    """What the processes under test inherit: no settings of the caller's (no
    DATABASE_URL, no SMTP_URL), only where programs and this checkout are."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    return {**env, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def usage() -> str:
    lines = ["python -m bench [NAME ...]  (no NAME: all of them, in this order)"]
    lines += [f"  {name:10} {b.what}" for name, b in BENCHMARKS.items()]
    lines += [f"  {name:10} (planned, not yet written) {what}" for name, what in PLANNED.items()]
    return "\n".join(lines)


def main(names: list[str]) -> int:
    if any(name in ("-h", "--help") for name in names):
        print(usage())
        return 0
    planned = [n for n in names if n in PLANNED]
    if planned:
        print(f"Not written yet: {', '.join(planned)}.\n{usage()}", file=sys.stderr)
        return 2
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}.\n{usage()}", file=sys.stderr)
        return 2
    config = load()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rsvp-bench-") as folder:
        processes = Processes(Path(folder), env=_environment())
        try:
            progress("starting PostgreSQL, migrating, seeding the bench event")
            with embedded_postgres(Path(folder) / "pg") as pg:
                try:
                    bench = BenchRun(pg, processes, Path(folder))
                    bench.prepare_template(TEMPLATE)
                    for name in names or list(BENCHMARKS):
                        print(f"== {name} ==", flush=True)
                        BENCHMARKS[name].run(bench, config)
                        print(flush=True)
                        # Each benchmark's processes are gone before the next one starts.
                        processes.stop_all()
                finally:
                    # Before PostgreSQL stops, so servers do not log connection errors.
                    processes.stop_all()
        except KeyboardInterrupt:
            print("Interrupted; stopped what the bench had started.", file=sys.stderr)
            return 130
    progress(f"done in {time.monotonic() - started:,.0f} s")
    return 0


sys.exit(main(sys.argv[1:]))
