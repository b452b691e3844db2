"""Markdown tables (pasted as they are into the README) and target verdicts."""

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass


def progress(message: str) -> None:
    """A line on standard error, so the tables on standard output stay clean."""
    print(f"  {message}", file=sys.stderr, flush=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right_from: int = 1) -> str:
    """Columns from `right_from` on are right-aligned (numbers)."""
    align = ["---" if i < right_from else "---:" for i in range(len(headers))]
    lines = [headers, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def over(numerator: float, denominator: float) -> float:
    """A ratio, NaN when there is nothing to divide by (a run where nothing succeeded,
    flagged anyway): NaN fails every target."""
    return numerator / denominator if denominator else float("nan")


def ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def ratio(value: float) -> str:
    return f"{value:.2f}x"


def percent(value: float) -> str:
    return f"{value:.0%}"


@dataclass(frozen=True)
class Target:
    """One of issue 11's targets, checked against one run's numbers."""

    what: str
    measured: str
    met: bool

    @property
    def verdict(self) -> str:
        return "PASS" if self.met else "MISS"


def load_note() -> str:
    """The machine's load average as the table was printed: next to every number
    measured on a shared machine."""
    one, five, fifteen = os.getloadavg()
    return f"Load average at the end (1, 5, 15 min): {one:.2f}, {five:.2f}, {fifteen:.2f}."


def targets_table(targets: Sequence[Target]) -> str:
    rows = [[t.what, t.measured, t.verdict] for t in targets]
    return table(["target", "measured", "verdict"], rows, right_from=1)


def report_with_targets(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    issue: int,
    targets: Sequence[Target],
) -> str:
    """A benchmark's printed result: its title, its table, its targets' verdicts, and
    the machine's load."""
    return "\n".join(
        [
            title,
            "",
            table(headers, rows),
            "",
            f"Targets (issue {issue}):",
            "",
            targets_table(targets),
            "",
            load_note(),
        ]
    )
