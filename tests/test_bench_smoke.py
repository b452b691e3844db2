"""The benchmark harness still works end to end: `python -m bench signup`, in a tiny
configuration, starts its servers, loads them with wrk and prints its tables.

Only the shape is checked, and that the sign-ups were accepted: speed is measured
by `make bench`, never asserted in tests.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TINY = {
    # 3 s a row, not 1: on a loaded machine (parallel test workers) a 1 s row once
    # counted no sign-up at all.
    "BENCH_SECONDS": "3",
    "BENCH_WARMUP_SECONDS": "1",
    "BENCH_CONNECTIONS": "4",
    "BENCH_PROCESSES": "1",
    "BENCH_SIZES": "500",
}
NUMBER = r"[0-9][0-9,.]*"
ROW = re.compile(
    rf"^\| (?P<server>bare stack|rsvp serve) \| 1 \| (?P<registrations>-|{NUMBER}) "
    rf"\| (?P<rate>{NUMBER}) \| {NUMBER} ms \| {NUMBER} ms \| {NUMBER} ms \| {NUMBER} ms "
    rf"\| {NUMBER}x \| (?P<failed>{NUMBER})(?P<flag> FLAGGED)? \|$",
    re.MULTILINE,
)
TARGET = re.compile(r"^\| .+ \| .+ \| (PASS|MISS) \|$", re.MULTILINE)


def _need_wrk() -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("wrk is needed for the benchmark smoke test (apt-get install wrk)")
        pytest.skip("wrk is not installed (apt-get install wrk)")


@pytest.mark.slow
def test_the_signup_benchmark_prints_its_table_with_numbers() -> None:
    _need_wrk()
    done = subprocess.run(
        [sys.executable, "-m", "bench", "signup"],
        cwd=REPO,
        env={**os.environ, **TINY},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    rows = [match.groupdict() for match in ROW.finditer(done.stdout)]
    assert [(row["server"], row["registrations"] == "-") for row in rows] == [
        ("bare stack", True),
        ("rsvp serve", False),
        ("rsvp serve", False),
    ], done.stdout
    # Every request was a valid, accepted sign-up, and some got through.
    assert all(row["failed"] == "0" and row["flag"] is None for row in rows), done.stdout
    assert all(float(row["rate"].replace(",", "")) > 0 for row in rows), done.stdout
    assert int(rows[2]["registrations"].replace(",", "")) >= 500
    # Against the bare stack's rate and p99, and the pre-filled event against the empty one.
    assert len(TARGET.findall(done.stdout)) == 3, done.stdout
    assert "pre-filling" in done.stderr
