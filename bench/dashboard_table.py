"""The registrations table page (and a registration's page, the desk's name search)
at READS_ROWS registrations, against the API's JSON list of the same rows.

One request at a time over a kept-alive loopback connection to `rsvp serve`
(1 process), signed in through the sign-in form as an organiser's browser is: so
each time is one request's server time plus the loopback's fraction of a
millisecond (the /healthz row shows that floor). The API's list, timed in the
same run on the same server, is the baseline: the page adds the role's buttons,
the filter form (every country's name, sorted in the page's language) and the
HTML, over the same query.
"""

import re

import httpx

from bench.config import BenchConfig
from bench.dashboard import sign_in
from bench.prefill import prefill
from bench.reads import Read, Timing, judged, served_columns, time_read
from bench.servers import EVENT_SLUG, BenchRun
from bench.tables import Target, load_note, ms, progress, table, targets_table

TARGET_MS = 100.0
_API = f"/api/admin/events/{EVENT_SLUG}/registrations"
_TABLE = f"/admin/events/{EVENT_SLUG}/registrations"
_DESK = f"/admin/events/{EVENT_SLUG}/desk"
QUERIES = (
    ("first page of 50", ""),
    ("search, a family name (q=garc, 3% of rows)", "q=garc"),
    ("filtered (confirmed, academia, KE)", "status=confirmed&affiliation_type=academia&country=KE"),
)
_LINK = re.compile(r'<a rel="(next|prev)" href="([^"]+)"')


def _link(client: httpx.Client, path: str, rel: str) -> str:
    found: dict[str, str] = dict(_LINK.findall(client.get(path).text))
    assert rel in found, f"no {rel} link on {path}"
    return found[rel].replace("&amp;", "&")


def measure(bench: BenchRun, config: BenchConfig) -> list[Timing]:
    database = bench.pg.clone("dashboard-table")
    prefill(bench.pg, database, slug=EVENT_SLUG, count=config.reads_rows)
    with bench.service(database) as server:
        headers = {"Authorization": f"Bearer {bench.organiser_token(server)}"}
        with (
            httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as api,
            httpx.Client(base_url=server.base_url, timeout=60) as browser,
        ):
            sign_in(browser, bench.organiser_password)
            someone = api.get(_API, params={"limit": 1}).json()["items"][0]["id"]
            second_page = _link(browser, _TABLE, "next")
            back_to_first = _link(browser, second_page, "prev")
            reads: list[tuple[httpx.Client, Read]] = [
                (api, Read("GET /healthz (baseline: the HTTP stack)", "/healthz", baseline=True))
            ]
            # Each query as the API's JSON (the baseline) and as the table's page.
            for what, query in QUERIES:
                reads.append((api, Read(f"API list: {what}", f"{_API}?limit=50&{query}", True)))
                reads.append((browser, Read(f"table: {what}", f"{_TABLE}?{query}")))
            reads += [
                (browser, Read("table: the next page", second_page)),
                (browser, Read("table: back a page (read backwards)", back_to_first)),
                (browser, Read("a registration's page", f"{_TABLE}/{someone}")),
                (browser, Read("desk: find by name (q=garc)", f"{_DESK}?q=garc")),
            ]
            timings = []
            for client, read in reads:
                progress(f"timing {read.what}")
                timings.append(time_read(client, read, config))
    return timings


def report(timings: list[Timing], config: BenchConfig) -> str:
    headers = ["request", "requests", "p50", "p95", "server p50", "server p95"]
    headers += ["server CPU p50", "p50 over the API's", "failed", f"p95 < {TARGET_MS:g} ms"]
    api_p50 = {t.read.what.removeprefix("API list: "): t.p(50) for t in timings if t.read.baseline}
    rows = []
    for t in timings:
        paired = api_p50.get(t.read.what.removeprefix("table: ")) if not t.read.baseline else None
        over = "-" if paired is None else f"{t.p(50) - paired:+,.1f} ms"
        served = served_columns(t)
        verdict = "-" if t.read.baseline else ("PASS" if judged(t) < TARGET_MS else "MISS")
        failed = f"{t.failed:,}" + (" FLAGGED" if t.failed else "")
        client = [ms(t.p(50)), ms(t.p(95))]
        rows.append([t.read.what, f"{len(t.client_ms):,}", *client, *served, over, failed, verdict])
    pages = [t for t in timings if not t.read.baseline]
    slowest = max(pages, key=judged)
    targets = [
        Target(
            f"dashboard pages p95 < {TARGET_MS:g} ms at {config.reads_rows:,}",
            f"slowest: {slowest.read.what}, {ms(judged(slowest))}",
            all(judged(t) < TARGET_MS for t in pages) and not any(t.failed for t in pages),
        )
    ]
    return "\n".join(
        [
            f"Dashboard registrations pages at {config.reads_rows:,} registrations: one request "
            "at a time to `rsvp serve` (1 process), signed in as an owner",
            "",
            table(headers, rows),
            "",
            "Targets (issue 14; on the server's p95 where it sends Server-Timing):",
            "",
            targets_table(targets),
            "",
            load_note(),
        ]
    )


def run(bench: BenchRun, config: BenchConfig) -> None:
    print(report(measure(bench, config), config))
