"""Processes the benchmarks start, and what /proc says about them.

Every process runs in a session of its own, so stopping it stops its children too
(uvicorn's workers), and a Ctrl-C at the terminal reaches only the bench, which
then stops them in order. `Processes` is the one place that knows what is running.
"""

import itertools
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
STOP_SECONDS = 15.0


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (which may hold spaces), or None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return raw[raw.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants alive now."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of `pid` and its descendants, including the children
    they have already reaped (a database server's finished connections)."""
    ticks = 0
    for member in process_tree(pid):
        fields = _stat_fields(member)
        if fields is not None:
            # utime, stime, cutime, cstime are fields 14-17 of stat(5); we start at field 3.
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / CLOCK_TICKS


def rss_bytes(pid: int, members: list[int] | None = None) -> int:
    """Resident memory of `pid` and its descendants (or of `members`, found before:
    finding the descendants reads every process's stat, some milliseconds)."""
    total = 0
    for member in process_tree(pid) if members is None else members:
        try:
            total += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * PAGE_BYTES
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not after {timeout:.0f} s")
        time.sleep(0.1)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= int(response.status) < 300
    except (OSError, urllib.error.URLError):
        return False


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Started:
    name: str
    popen: "subprocess.Popen[bytes]"
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        """True while it runs; once it has exited, raises with the end of its log."""
        if self.popen.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")
        return True


@dataclass
class Processes:
    """Starts processes with their output in log files under `folder`; stops them all."""

    folder: Path
    env: Mapping[str, str]
    running: list[Started] = field(default_factory=list)
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def start(self, name: str, argv: list[str], env: Mapping[str, str] | None = None) -> Started:
        log = self.folder / f"{name}-{next(self._numbers)}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                argv,
                cwd=self.folder,
                env={**self.env, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = Started(name, popen, log)
        self.running.append(started)
        return started

    def stop(self, started: Started) -> None:
        """SIGTERM to its whole process group, then SIGKILL if it lingers."""
        if started not in self.running:
            return
        self.running.remove(started)
        for sig, wait in ((signal.SIGTERM, STOP_SECONDS), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(started.pid, sig)
            except ProcessLookupError:
                break
            try:
                started.popen.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Children that outlived the leader (none should) go too.
        with suppress(ProcessLookupError):
            os.killpg(started.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for started in reversed(list(self.running)):
            self.stop(started)

    @contextmanager
    def running_one(
        self, name: str, argv: list[str], env: Mapping[str, str] | None = None
    ) -> Iterator[Started]:
        started = self.start(name, argv, env)
        try:
            yield started
        finally:
            self.stop(started)
