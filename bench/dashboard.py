"""The organiser dashboard's pages at DASHBOARD_ROWS registrations (the reads' size).

One request at a time to `rsvp serve` (1 process), signed in through the sign-in
form like a browser (session cookie, CSRF token), so each time is one page's
latency, not queueing. The pages send `Server-Timing` (their time inside the app:
dependencies, queries, rendering), shown as server p95. Baselines, in the same
run: the same server's /healthz (the HTTP stack alone) and the JSON stats the
API serves (the same figures, without a page around them).
"""

import re

import httpx

from bench import reads
from bench.config import BenchConfig
from bench.prefill import prefill
from bench.servers import EVENT_SLUG, ORGANISER_EMAIL, BenchRun
from bench.tables import Target, ms, progress, report_with_targets

TARGET_MS = 100.0
_PAGE = f"/admin/events/{EVENT_SLUG}"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

PAGES = (
    reads.Read("GET /healthz (baseline: the HTTP stack)", "/healthz", baseline=True),
    reads.Read(
        "GET /api/admin/.../stats (baseline: the JSON figures)",
        f"/api/admin/events/{EVENT_SLUG}/stats",
        baseline=True,
    ),
    reads.Read("overview page (figures and five charts)", _PAGE),
    reads.Read("overview.json (the figures it polls)", f"{_PAGE}/overview.json"),
    reads.Read("events list", "/admin"),
    reads.Read("exports page", f"{_PAGE}/exports"),
    reads.Read("audit log, first page", f"{_PAGE}/audit"),
)


def sign_in(client: httpx.Client, password: str) -> None:
    """Through the sign-in form, as a browser: the client keeps the session cookie."""
    form = client.get("/admin/sign-in")
    found = _CSRF.search(form.text)
    assert found, "no CSRF token on the sign-in form"
    answer = client.post(
        "/admin/sign-in",
        data={"csrf_token": found.group(1), "email": ORGANISER_EMAIL, "password": password},
    )
    assert answer.status_code == 303, f"sign-in failed: {answer.status_code}"


def measure(bench: BenchRun, config: BenchConfig) -> list[reads.Timing]:
    database = bench.pg.clone("dashboard")
    prefill(bench.pg, database, slug=EVENT_SLUG, count=config.reads_rows)
    timings = []
    with bench.service(database) as server:
        headers = {"Authorization": f"Bearer {bench.organiser_token(server)}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
            sign_in(client, bench.organiser_password)
            for page in PAGES:
                progress(f"timing {page.what}")
                timings.append(reads.time_read(client, page, config))
    return timings


def report(timings: list[reads.Timing], config: BenchConfig) -> str:
    headers = ["request", "requests", "p50", "p95", "p99", "server p50", "server p95", "failed"]
    headers.append(f"server p95 < {TARGET_MS:g} ms")
    rows = []
    for t in timings:
        served = t.server_ms
        verdict = "-" if t.read.baseline else ("PASS" if t.p(95, served) < TARGET_MS else "MISS")
        rows.append(
            [
                t.read.what,
                f"{len(t.client_ms):,}",
                ms(t.p(50)),
                ms(t.p(95)),
                ms(t.p(99)),
                ms(t.p(50, served)) if served else "-",
                ms(t.p(95, served)) if served else "-",
                f"{t.failed:,}" + (" FLAGGED" if t.failed else ""),
                verdict,
            ]
        )
    overview = next(t for t in timings if t.read.path == _PAGE)
    targets = [
        Target(
            f"overview renders in < {TARGET_MS:g} ms server time at {config.reads_rows:,}",
            f"server p95 {ms(overview.p(95, overview.server_ms))}",
            bool(overview.server_ms) and overview.p(95, overview.server_ms) < TARGET_MS,
        )
    ]
    title = (
        f"Dashboard pages at {config.reads_rows:,} registrations: one request at a time to "
        "`rsvp serve` (1 process), signed in with a session; latency at the client, and "
        "the page's own time from its Server-Timing header"
    )
    return report_with_targets(title, headers, rows, issue=14, targets=targets)


def run(bench: BenchRun, config: BenchConfig) -> None:
    print(report(measure(bench, config), config))
