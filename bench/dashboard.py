"""The organiser dashboard's pages at DASHBOARD_ROWS registrations (the reads' size).

One request at a time to `rsvp serve` (1 process), signed in through the sign-in
form like a browser (session cookie, CSRF token), so each time is one page's
latency, not queueing. The server sends `Server-Timing` (its time inside the app:
middleware, dependencies, queries, rendering; and its CPU time), shown as server
p50/p95 and CPU p50; the target is judged on the server's p95. Baselines, in the same
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
    headers = ["request", "requests", "p50", "p95", "p99", "server p50", "server p95"]
    headers += ["server CPU p50", "failed", f"server p95 < {TARGET_MS:g} ms"]
    rows = []
    for t in timings:
        judged = reads.judged(t)
        verdict = "-" if t.read.baseline else ("PASS" if judged < TARGET_MS else "MISS")
        failed = f"{t.failed:,}" + (" FLAGGED" if t.failed else "")
        client = [ms(t.p(50)), ms(t.p(95)), ms(t.p(99))]
        served = reads.served_columns(t)
        rows.append([t.read.what, f"{len(t.client_ms):,}", *client, *served, failed, verdict])
    pages = [t for t in timings if not t.read.baseline]
    overview = next(t for t in timings if t.read.path == _PAGE)
    slowest = max(pages, key=reads.judged)
    targets = [
        Target(
            f"overview renders in < {TARGET_MS:g} ms server time at {config.reads_rows:,}",
            f"server p95 {ms(reads.judged(overview))}",
            bool(overview.server_ms) and reads.judged(overview) < TARGET_MS,
        ),
        Target(
            f"every page < {TARGET_MS:g} ms server time",
            f"slowest: {slowest.read.what}, {ms(reads.judged(slowest))}",
            all(reads.judged(t) < TARGET_MS for t in pages) and not any(t.failed for t in pages),
        ),
    ]
    title = (
        f"Dashboard pages at {config.reads_rows:,} registrations: one request at a time to "
        "`rsvp serve` (1 process), signed in with a session; latency at the client, and "
        "the server's own time and CPU time from its Server-Timing header"
    )
    return report_with_targets(title, headers, rows, issue=14, targets=targets)


def run(bench: BenchRun, config: BenchConfig) -> None:
    print(report(measure(bench, config), config))
