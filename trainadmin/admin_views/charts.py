"""Charts of « Rapports », drawn on the server as inline SVG: no script, so the page keeps its
strict Content-Security-Policy and prints as it shows.

Every chart is an `<svg role="img">` with a `<title>` and an `aria-label` that says what it shows;
each bar carries its value written next to it, and the series of a stacked bar differ by pattern
(plain, hatched, dotted) as well as by colour, with a legend drawn the same way. Every text comes
from the data and is escaped here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import count

from markupsafe import Markup, escape

WIDTH = 760
BAR = 22  # height of a horizontal bar
GAP = 8
LABEL_WIDTH = 250  # room for the category names of a horizontal chart
VALUE_ROOM = 110  # room after the longest bar for its value
STACK_ROOM = 230  # room after a stacked bar for each part's name and value
COLUMN_HEIGHT = 200
FONT = 12
COLOURS = ("#1f4e79", "#b35900", "#5c5c5c")  # dark blue, dark orange, grey: each ≥ 4.5:1 on white
PATTERNS = ("solid", "hatch", "dots")

_ids = count(1)
Number = int | float | Decimal


@dataclass
class Chart:
    """An SVG chart and its title, which the page writes above it (the SVG's own title is for
    screen readers)."""

    title: str
    svg: Markup

    def __html__(self) -> str:
        return self.svg


@dataclass
class Series:
    name: str
    values: Sequence[Number | None]


def _fill(index: int, uid: str) -> str:
    return COLOURS[index % len(COLOURS)] if index % len(PATTERNS) == 0 else f"url(#{uid}-p{index})"


def _defs(uid: str, series_count: int) -> str:
    """A hatched and a dotted pattern, in the colours of the second and third series."""
    parts = []
    for index in range(1, series_count):
        colour = COLOURS[index % len(COLOURS)]
        if PATTERNS[index % len(PATTERNS)] == "hatch":
            shape = (
                '<rect width="6" height="6" fill="#fff"/>'
                f'<path d="M0 6L6 0M-1 1L1 -1M5 7L7 5" stroke="{colour}" stroke-width="2.2"/>'
            )
        else:
            shape = f'<rect width="6" height="6" fill="{colour}"/><circle cx="3" cy="3" r="1.4" fill="#fff"/>'
        parts.append(
            f'<pattern id="{uid}-p{index}" width="6" height="6" patternUnits="userSpaceOnUse">'
            f"{shape}</pattern>"
        )
    return f"<defs>{''.join(parts)}</defs>" if parts else ""


def _text(x: float, y: float, text: str, *, anchor: str = "start", cls: str = "", bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT}" text-anchor="{anchor}"{weight}{klass}>'
        f"{escape(text)}</text>"
    )


def _svg(uid: str, title: str, summary: str, height: float, body: str) -> Chart:
    label = f"{title}. {summary}" if summary else title
    # Every text in `body` went through escape() in this module.
    return Chart(
        title,
        Markup(  # noqa: S704
            f'<svg class="ta-chart" id="{uid}" role="img" aria-label="{escape(label)}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" preserveAspectRatio="xMinYMin meet" '
            f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">'
            f"<title>{escape(label)}</title>{body}</svg>"
        ),
    )


def _legend(uid: str, series: Sequence[Series], y: float) -> str:
    parts, x = [], 0.0
    for index, one in enumerate(series):
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="14" fill="{_fill(index, uid)}" '
            f'stroke="{COLOURS[index % len(COLOURS)]}"/>'
        )
        parts.append(_text(x + 20, y + 11, one.name))
        x += 40 + 7 * len(one.name)
    return "".join(parts)


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    shown: Callable[[Number], str],
    *,
    summary: str = "",
    stacked: bool = False,
    empty: str = "",
) -> Chart:
    """Horizontal bars, one row per category: side by side for several series, or stacked (the
    total written after the bar, each part inside it when it fits)."""
    uid = f"chart{next(_ids)}"
    if not categories:
        return _svg(uid, title, empty, 30, _text(0, 20, empty))
    values = [[float(v or 0) for v in one.values] for one in series]
    if stacked:
        largest = max((sum(column) for column in zip(*values, strict=True)), default=0)
    else:
        largest = max((v for row in values for v in row), default=0)
    room = STACK_ROOM if stacked and len(series) > 1 else VALUE_ROOM
    scale = (WIDTH - LABEL_WIDTH - room) / largest if largest > 0 else 0
    rows_per_category = 1 if stacked else len(series)
    step = rows_per_category * BAR + GAP * 2
    legend_height = 26 if len(series) > 1 else 0
    parts = [_defs(uid, len(series))]
    if legend_height:
        parts.append(_legend(uid, series, 0))
    for row, category in enumerate(categories):
        top = legend_height + row * step + GAP
        parts.append(
            _text(LABEL_WIDTH - 8, top + rows_per_category * BAR / 2 + 4, _clip(category), anchor="end")
        )
        x = LABEL_WIDTH
        for index, one in enumerate(series):
            value = values[index][row]
            width = value * scale
            y = top if stacked else top + index * BAR
            if width > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{BAR - 3}" '
                    f'fill="{_fill(index, uid)}" stroke="{COLOURS[index % len(COLOURS)]}"/>'
                )
            if stacked:
                text = shown(one.values[row] or 0)
                if width > 9 * len(text) and index % len(PATTERNS) == 0:
                    parts.append(
                        _text(x + width / 2, y + BAR / 2 + 2, text, anchor="middle", cls="ta-chart-in")
                    )
                x += width
            else:
                label = shown(one.values[row]) if one.values[row] is not None else "—"
                parts.append(_text(x + width + 6, y + BAR / 2 + 2, label))
        if stacked:
            total = sum((one.values[row] or 0 for one in series), 0)
            detail = " · ".join(f"{one.name} {shown(one.values[row] or 0)}" for one in series)
            parts.append(_text(x + 6, top + BAR / 2 + 2, detail if len(series) > 1 else shown(total)))
    height = legend_height + len(categories) * step + GAP
    return _svg(uid, title, summary, height, "".join(parts))


def column_chart(
    title: str,
    categories: Sequence[str],
    series: Series,
    shown: Callable[[Number], str],
    *,
    summary: str = "",
) -> Chart:
    """Vertical columns, one per category (the months of a period), the value above each."""
    uid = f"chart{next(_ids)}"
    values = [float(v or 0) for v in series.values]
    largest = max(values, default=0)
    top_room, bottom_room = 30, 34
    scale = COLUMN_HEIGHT / largest if largest > 0 else 0
    slot = WIDTH / max(len(categories), 1)
    width = min(slot * 0.7, 48)
    small = len(categories) > 14
    parts = []
    base = top_room + COLUMN_HEIGHT
    parts.append(f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#5c5c5c"/>')
    for index, category in enumerate(categories):
        centre = slot * index + slot / 2
        height = values[index] * scale
        if height > 0:
            parts.append(
                f'<rect x="{centre - width / 2:.1f}" y="{base - height:.1f}" width="{width:.1f}" '
                f'height="{height:.1f}" fill="{COLOURS[0]}"/>'
            )
        label = shown(series.values[index] or 0)
        if small:
            parts.append(
                f'<text x="{centre:.1f}" y="{base - height - 4:.1f}" font-size="10" text-anchor="start" '
                f'transform="rotate(-60 {centre:.1f} {base - height - 4:.1f})">{escape(label)}</text>'
            )
        else:
            parts.append(_text(centre, base - height - 5, label, anchor="middle"))
        parts.append(
            f'<text x="{centre:.1f}" y="{base + 16}" font-size="{10 if small else FONT}" '
            f'text-anchor="middle">{escape(category)}</text>'
        )
    return _svg(uid, title, summary, base + bottom_room, "".join(parts))


def _clip(text: str, length: int = 36) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
