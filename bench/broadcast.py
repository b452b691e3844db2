"""Queueing an organiser's broadcast over HTTP against the bare INSERT ... SELECT of as
many outbox rows; then how fast one `rsvp worker` sends a broadcast's messages.

POST /api/admin/events/{slug}/messages (an owner's bearer token, `rsvp serve`, one
process) with no filter queues one outbox row per registrant of the pre-filled
event (10,000, then 100,000). Each repeat has a subject of its own (the same
message to the same people within a minute is refused, 429). The baseline runs
in the same run on the same database: `INSERT INTO email_outbox (the same
columns) SELECT ... FROM registrations` for the same rows, in one committed
transaction over PostgreSQL's socket, which is all the request must do besides
its checks, the broadcast's record and its audit entry. Both best of REPEATS;
the server's CPU time per request is read from /proc. Then every outbox row
but BROADCAST_DRAIN (2,000) of one broadcast's is deleted and one worker sends
those to a local SMTP sink (`bench.mail.drain`), timed from the first message
sent.
"""

import os
import time
import uuid
from dataclasses import dataclass

import asyncpg
import httpx

from bench.config import BenchConfig
from bench.mail import Drain, drain
from bench.prefill import prefill
from bench.processes import cpu_seconds
from bench.servers import EVENT_SLUG, BenchRun, Server
from bench.tables import ms, over, progress, rate, ratio, table

REPEATS = 3

# The rows the request's INSERT ... SELECT writes, written by hand ($1 event id,
# $2 subject, $3 an existing broadcast's id, which the rows must name).
BARE_INSERT = """
INSERT INTO email_outbox (
    id, event_id, registration_id, kind, recipient, public_cause, subject, message_id,
    language, state, attempts, next_attempt_at, created_at, broadcast_id)
SELECT
    gen_random_uuid(), r.event_id, r.id, 'broadcast', r.email, false, $2,
    '<' || gen_random_uuid()::text || '@bench.example>', r.language, 'pending', 0,
    now(), now(), $3
FROM registrations r
WHERE r.event_id = $1 AND r.erased_at IS NULL
"""

# Of one broadcast's messages, the first $2 are left to send; every other row goes.
KEEP_TO_SEND = """
DELETE FROM email_outbox WHERE id NOT IN (
    SELECT id FROM email_outbox WHERE broadcast_id = $1 ORDER BY id LIMIT $2)
"""


@dataclass(frozen=True)
class Measure:
    registrants: int
    recipients: int
    http_seconds: float
    cpu_seconds: float
    bare_seconds: float


def _post(server: Server, token: str) -> tuple[float, float, dict[str, object]]:
    """One broadcast: seconds to the answer, the server's CPU seconds, the answer."""
    body = {"subject": f"Room change {uuid.uuid4().hex[:8]}", "body": "We meet in Room 4."}
    url = f"{server.base_url}/api/admin/events/{EVENT_SLUG}/messages"
    headers = {"Authorization": f"Bearer {token}"}
    cpu_before = cpu_seconds(server.process.pid)
    start = time.perf_counter()
    response = httpx.post(url, json=body, headers=headers, timeout=600)
    elapsed = time.perf_counter() - start
    if response.status_code != 201:
        raise RuntimeError(f"broadcast answered {response.status_code}: {response.text}")
    answer: dict[str, object] = response.json()
    return elapsed, cpu_seconds(server.process.pid) - cpu_before, answer


def _bare(bench: BenchRun, database: str, broadcast_id: str) -> float:
    async def work(conn: asyncpg.Connection) -> float:
        event_id = await conn.fetchval("SELECT id FROM events WHERE slug = $1", EVENT_SLUG)
        start = time.perf_counter()
        async with conn.transaction():
            await conn.execute(BARE_INSERT, event_id, "Room change", uuid.UUID(broadcast_id))
        return time.perf_counter() - start

    return bench.pg.run(database, work)


def measure(bench: BenchRun, config: BenchConfig) -> tuple[list[Measure], Drain | None]:
    database = bench.pg.clone("broadcast")
    results: list[Measure] = []
    to_drain: str | None = None
    with bench.service(database) as server:
        token = bench.organiser_token(server)
        for size in config.broadcast_sizes:
            have = prefill(bench.pg, database, slug=EVENT_SLUG, count=size)
            progress(f"broadcasting to {have:,} registrants, best of {REPEATS}")
            # Taken in turns, so both meet the same (growing) outbox and the same load.
            posts, bares = [], []
            for _ in range(REPEATS):
                posts.append(_post(server, token))
                bares.append(_bare(bench, database, str(posts[-1][2]["id"])))
            http_seconds, cpu, answer = min(posts, key=lambda post: post[0])
            to_drain = to_drain or str(answer["id"])
            bare = min(bares)
            recipients = int(str(answer["recipients"]))
            results.append(Measure(have, recipients, http_seconds, cpu, bare))
    if to_drain is None:
        return results, None
    bench.pg.execute(database, KEEP_TO_SEND, uuid.UUID(to_drain), config.broadcast_drain)
    with bench.smtp_sink() as smtp_port:
        return results, drain(bench, config, database, smtp_port, 1)


def report(results: list[Measure], sent: Drain | None) -> str:
    headers = [
        "registrants",
        "queued",
        "POST .../messages",
        "server CPU",
        "bare INSERT ... SELECT",
        "ratio",
        "rows/s over HTTP",
    ]
    rows = [
        [
            f"{m.registrants:,}",
            f"{m.recipients:,}",
            ms(m.http_seconds * 1000),
            ms(m.cpu_seconds * 1000),
            ms(m.bare_seconds * 1000),
            ratio(over(m.http_seconds, m.bare_seconds)),
            rate(over(m.recipients, m.http_seconds)),
        ]
        for m in results
    ]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    lines = [
        "Broadcast: POST /api/admin/events/{slug}/messages to every registrant, from "
        f"`rsvp serve` (1 process), vs the bare INSERT ... SELECT of the same rows, "
        f"best of {REPEATS}",
        "",
        table(headers, rows),
        "",
    ]
    if sent is not None:
        lines += [
            f"Sending one broadcast of {sent.messages:,} messages: 1 `rsvp worker` to a local "
            f"SMTP sink, {sent.seconds:,.1f} s, {rate(sent.per_second)} messages/s, "
            f"{ms(over(sent.cpu_seconds, sent.messages) * 1000)} worker CPU per message"
            + ("" if sent.finished else " (not finished in BENCH_MAIL_SECONDS)"),
            "",
        ]
    lines.append(f"Load average at the end (1, 5, 15 min): {load}")
    return "\n".join(lines)


def run(bench: BenchRun, config: BenchConfig) -> None:
    results, sent = measure(bench, config)
    print(report(results, sent))
