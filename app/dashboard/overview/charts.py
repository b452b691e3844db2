"""Charts drawn on the server as inline SVG: no script, no library, nothing fetched.

Each chart is an `<svg role="img">` named by its `<title>` and described by its
`<desc>` (the text alternative: what it shows, with its figures), and carries the
same numbers as table rows for the page to show beside it. Values are written on
the bars and lines are dashed or dotted where colour alone would tell them apart.
On right-to-left pages the drawing is mirrored (bars grow from the right, time
runs right to left), its text kept upright.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
INK = "#0b0c0c"
BAR = "#1d70b8"
GRID = "#b1b4b6"
LIMIT = "#d4351c"

Format = Callable[[int], str]


@dataclass(frozen=True)
class Chart:
    key: str
    """Names the figure's elements (`{key}-title`, `{key}-desc`)."""
    title: str
    description: str
    svg: Markup
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class Caption:
    """What names and describes a chart: `key` names its elements (`{key}-title`,
    `{key}-desc`), `description` is its text alternative."""

    key: str
    title: str
    description: str


@dataclass(frozen=True)
class _Canvas:
    """Drawing left to right; `rtl` mirrors every x. The SVG's text direction follows
    the page's, so a text's `start` and `end` (and mixed-script text) mirror with it.

    Elements are written with f-strings (numbers and our own constants) and only
    the texts escaped: a page draws hundreds, and Markup.format per element cost
    more than the rest of the page.
    """

    height: int
    rtl: bool
    parts: list[str]

    def x(self, x: float) -> float:
        return WIDTH - x if self.rtl else x

    def text(self, x: float, y: float, text: str, *, anchor: str = "start", size: int = 14) -> None:
        self.parts.append(
            f'<text x="{self.x(x):.1f}" y="{y:.1f}" text-anchor="{anchor}" '
            f'font-size="{size}">{escape(text)}</text>'
        )

    def rect(self, x: float, y: float, width: float, height: float, fill: str = BAR) -> None:
        left = self.x(x + width) if self.rtl else x
        self.parts.append(
            f'<rect x="{left:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'fill="{fill}"/>'
        )

    def line(
        self, x1: float, y1: float, x2: float, y2: float, *, stroke: str, dash: str = ""
    ) -> None:
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{self.x(x1):.1f}" y1="{y1:.1f}" x2="{self.x(x2):.1f}" y2="{y2:.1f}" '
            f'stroke="{stroke}" stroke-width="2"{dashes}/>'
        )

    def polyline(self, points: Sequence[tuple[float, float]]) -> None:
        coordinates = " ".join(f"{self.x(x):.1f},{y:.1f}" for x, y in points)
        self.parts.append(
            f'<polyline points="{coordinates}" fill="none" stroke="{BAR}" stroke-width="3"/>'
        )
        self.parts.extend(
            f'<circle cx="{self.x(x):.1f}" cy="{y:.1f}" r="4" fill="{BAR}"/>' for x, y in points
        )

    def svg(self, caption: Caption) -> Markup:
        key = escape(caption.key)
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {self.height}" '
            f'width="{WIDTH}" height="{self.height}" direction="{"rtl" if self.rtl else "ltr"}" '
            f'role="img" aria-labelledby="{key}-title {key}-desc">'
            f'<title id="{key}-title">{escape(caption.title)}</title>'
            f'<desc id="{key}-desc">{escape(caption.description)}</desc>{"".join(self.parts)}</svg>'
        )


def _shortened(label: str, most: int = 30) -> str:
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"


def bars(
    caption: Caption,
    items: Sequence[tuple[str, int]],
    *,
    fmt: Format,
    rtl: bool,
    empty: str,
) -> Markup:
    """Horizontal bars, one per item, each labelled with its name and its value."""
    label_width, value_width, row, bar = 250.0, 70.0, 30, 20
    area = WIDTH - label_width - value_width
    canvas = _Canvas(height=max(1, len(items)) * row + 8, rtl=rtl, parts=[])
    most = max((value for _, value in items), default=0)
    if not items:
        canvas.text(8, 20, empty)
    for index, (label, value) in enumerate(items):
        top = 4 + index * row
        length = area * value / most if most else 0
        canvas.text(label_width - 8, top + 15, _shortened(label), anchor="end")
        canvas.rect(label_width, top, max(length, 1 if value else 0), bar)
        canvas.text(label_width + length + 6, top + 15, fmt(value))
    return canvas.svg(caption)


def columns(
    caption: Caption,
    items: Sequence[tuple[str, int]],
    *,
    fmt: Format,
    rtl: bool,
) -> Markup:
    """Vertical columns along a time axis, each with its value above it; every few
    are labelled below, so the labels never overlap."""
    left, bottom, top, height = 12.0, 28.0, 20.0, 200
    plot = height - bottom - top
    slot = (WIDTH - 2 * left) / max(1, len(items))
    every = max(1, -(-len(items) // 12))
    most = max((value for _, value in items), default=0)
    canvas = _Canvas(height=height, rtl=rtl, parts=[])
    canvas.line(left, height - bottom, WIDTH - left, height - bottom, stroke=GRID)
    for index, (label, value) in enumerate(items):
        x = left + index * slot
        length = plot * value / most if most else 0
        canvas.rect(x + slot * 0.15, height - bottom - length, slot * 0.7, length)
        if value:
            canvas.text(
                x + slot / 2, height - bottom - length - 4, fmt(value), anchor="middle", size=12
            )
        if index % every == 0:
            canvas.text(x + slot / 2, height - 8, label, anchor="middle", size=13)
    return canvas.svg(caption)


def cumulative(
    caption: Caption,
    points: Sequence[tuple[float, int]],
    *,
    first_label: str,
    last_label: str,
    limit: int,
    limit_label: str,
    fmt: Format,
    rtl: bool,
) -> Markup:
    """A running total over time (x from 0 to 1) against a dashed limit line."""
    left, right, top, bottom, height = 64.0, 24.0, 24.0, 32.0, 240
    plot_width, plot_height = WIDTH - left - right, height - top - bottom
    ceiling = max([limit, *(total for _, total in points)]) * 1.1 or 1
    canvas = _Canvas(height=height, rtl=rtl, parts=[])

    def y(value: float) -> float:
        return top + plot_height * (1 - value / ceiling)

    for value in (0, ceiling / 2):
        canvas.line(left, y(value), WIDTH - right, y(value), stroke=GRID)
        canvas.text(left - 6, y(value) + 4, fmt(round(value)), anchor="end")
    canvas.line(left, y(limit), WIDTH - right, y(limit), stroke=LIMIT, dash="8 6")
    canvas.text(WIDTH - right, y(limit) - 6, limit_label, anchor="end")
    if points:
        canvas.polyline([(left + plot_width * at, y(total)) for at, total in points])
    canvas.text(left, height - 8, first_label)
    canvas.text(WIDTH - right, height - 8, last_label, anchor="end")
    return canvas.svg(caption)
