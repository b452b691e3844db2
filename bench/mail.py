"""How fast `rsvp worker` drains a backlog of confirmations to an SMTP server.

The backlog is made as in life: MAIL_MESSAGES people sign up over HTTP (wrk,
`rsvp serve` with its in-process sender off), which queues one confirmation
each (or fewer, if that takes longer than MAIL_QUEUE_SECONDS). The database is
then copied once per worker count, so each drain starts from the same backlog.
Then N `rsvp worker` processes send to a local aiosmtpd that accepts and drops
everything (a process of its own), and the outbox is watched until no row is
pending (or MAIL_SECONDS pass). The drain is timed from the first message sent,
so the workers' start-up is left out.

Baseline: the bench itself sends as many messages, of a size like a confirmation's
(text, HTML and an .ics), over one reused SMTP connection with smtplib: the most
one Python process gets out of that SMTP server.
"""

import smtplib
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage

from bench import load
from bench.config import BenchConfig
from bench.processes import Started, cpu_seconds
from bench.servers import EVENT_SLUG, BenchRun
from bench.tables import ms, over, progress, rate, table

BASELINE_MESSAGES = 2_000
POLL_SECONDS = 0.2
PENDING = "SELECT count(*) FROM email_outbox WHERE state = 'pending'"
SENT = "SELECT count(*) FROM email_outbox WHERE state = 'sent'"
FAILED = "SELECT count(*) FROM email_outbox WHERE state = 'failed'"


@dataclass(frozen=True)
class Drain:
    sender: str
    processes: int
    messages: int
    seconds: float
    cpu_seconds: float
    failed: int
    finished: bool

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def _queue_backlog(bench: BenchRun, config: BenchConfig, database: str) -> tuple[int, float]:
    """Signs people up until MAIL_MESSAGES confirmations wait, or MAIL_QUEUE_SECONDS have
    passed; returns (queued, seconds)."""
    workers = max(config.processes)
    with bench.service(database, workers=workers) as server:
        url = f"{server.base_url}/api/events/{EVENT_SLUG}/registrations"
        start = time.monotonic()
        deadline = start + config.mail_queue_seconds
        wrk = load.start(
            bench.processes,
            url,
            prefix=f"mail-{uuid.uuid4().hex[:8]}",
            connections=config.connections,
            seconds=3600,
        )
        waiting, told = 0, 0
        try:
            while waiting < config.mail_messages and time.monotonic() < deadline:
                wrk.running()
                time.sleep(1)
                waiting = int(bench.pg.value(database, PENDING))
                if waiting >= told + config.mail_messages // 10:
                    progress(f"queued {waiting:,} of {config.mail_messages:,} confirmations")
                    told = waiting
            result = load.finish(bench.processes, wrk, interrupt=True)
        finally:
            bench.processes.stop(wrk)
        seconds = time.monotonic() - start
    if result.failures:
        progress(f"FLAGGED: {result.failures:,} failed sign-ups; first: {result.first_error}")
    return int(bench.pg.value(database, PENDING)), seconds


def drain(
    bench: BenchRun, config: BenchConfig, database: str, smtp_port: int, workers: int
) -> Drain:
    backlog = int(bench.pg.value(database, PENDING))
    started: list[Started] = [bench.mail_worker(database, smtp_port) for _ in range(workers)]
    deadline = time.monotonic() + config.mail_seconds
    first_sent: float | None = None
    cpu_at_first = 0.0
    pending = backlog
    try:
        while pending and time.monotonic() < deadline:
            for worker in started:
                worker.running()
            time.sleep(POLL_SECONDS)
            pending = int(bench.pg.value(database, PENDING))
            if first_sent is None and pending < backlog:
                first_sent = time.monotonic()
                cpu_at_first = sum(cpu_seconds(w.pid) for w in started)
        ended = time.monotonic()
        cpu = sum(cpu_seconds(w.pid) for w in started) - cpu_at_first
    finally:
        for worker in started:
            bench.processes.stop(worker)
    sent = int(bench.pg.value(database, SENT))
    failed = int(bench.pg.value(database, FAILED))
    seconds = ended - (first_sent or ended)
    progress(f"{workers} worker(s): {sent:,} sent in {seconds:,.1f} s")
    return Drain("rsvp worker", workers, sent, seconds, cpu, failed, finished=pending == 0)


def _confirmation_like() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Side-event registration <noreply@localhost>"
    message["To"] = "someone@example.org"
    message["Subject"] = "You are registered: Benchmark side-event"
    message.set_content("Dear Ana,\n\nYou are registered.\n" + "Details of the event.\n" * 60)
    message.add_alternative("<p>Dear Ana,</p>" + "<p>Details of the event.</p>" * 80, "html")
    message.add_attachment(
        ("BEGIN:VCALENDAR\r\n" + "X-LINE:event details\r\n" * 40 + "END:VCALENDAR\r\n").encode(),
        maintype="text",
        subtype="calendar",
        filename="event.ics",
    )
    return message


def _baseline(smtp_port: int, messages: int) -> Drain:
    message = _confirmation_like()
    start = time.perf_counter()
    cpu_start = time.process_time()
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
        for n in range(messages):
            message.replace_header("To", f"person{n}@example.org")
            smtp.send_message(message)
    return Drain(
        "smtplib, one connection, a prebuilt message",
        1,
        messages,
        time.perf_counter() - start,
        time.process_time() - cpu_start,
        failed=0,
        finished=True,
    )


def measure(bench: BenchRun, config: BenchConfig) -> tuple[list[Drain], int, float]:
    database = bench.pg.clone("mail")
    queued, queue_seconds = _queue_backlog(bench, config, database)
    copies = {n: bench.pg.clone(f"mail_{n}", template=database) for n in config.mail_workers}
    drains = []
    with bench.smtp_sink() as smtp_port:
        drains.append(_baseline(smtp_port, min(BASELINE_MESSAGES, queued)))
        for workers, copy in copies.items():
            drains.append(drain(bench, config, copy, smtp_port, workers))
    return drains, queued, queue_seconds


def report(drains: list[Drain], queued: int, queue_seconds: float, config: BenchConfig) -> str:
    headers = ["sender", "processes", "messages sent", "seconds", "messages/s", "CPU per message"]
    headers.append("failed")
    rows = []
    for d in drains:
        flags = f"{d.failed:,}" + (" FLAGGED" if d.failed else "")
        if not d.finished:
            flags += f" (stopped after {config.mail_seconds:g} s, backlog not drained)"
        rows.append(
            [
                d.sender,
                str(d.processes),
                f"{d.messages:,}",
                f"{d.seconds:,.1f}",
                rate(d.per_second),
                ms(1000 * d.cpu_seconds / max(1, d.messages)),
                flags,
            ]
        )
    short = ""
    if queued < config.mail_messages:
        short = (
            f"; fewer than the {config.mail_messages:,} asked for: sign-ups stopped after "
            f"{config.mail_queue_seconds:g} s"
        )
    return "\n".join(
        [
            f"Mail: a backlog of {queued:,} confirmations (queued over HTTP in "
            f"{queue_seconds:,.0f} s, {over(queued, queue_seconds):,.1f} sign-ups/s with "
            f"{max(config.processes)} server processes{short}) sent to a local SMTP sink",
            "",
            table(headers, rows),
        ]
    )


def run(bench: BenchRun, config: BenchConfig) -> None:
    drains, queued, seconds = measure(bench, config)
    print(report(drains, queued, seconds, config))
