"""Charts drawn on the server as inline SVG: no script, no library, nothing fetched.

Each chart scales to its container (a `viewBox` and `width: 100%`), carries a title and a
text alternative for screen readers, and escapes every label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["Bar", "Column", "bars", "columns"]

_WIDTH = 480  # narrow enough that labels stay legible scaled down to a phone
_ROW = 28
_LABEL = 120
_VALUE = 160
_HEIGHT = 220
_BOTTOM = 36
_TONES = {"good": "on time", "bad": "late", "plain": "waiting"}


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: `value` out of the chart's scale, `note` printed after it."""

    label: str
    value: float
    note: str
    tone: str = "good"  # good, warn, bad or plain: a CSS class


@dataclass(frozen=True)
class Column:
    """One column of the trend: on time, late and waiting stacked."""

    label: str
    on_time: int
    late: int
    waiting: int


def bars(title: str, rows: Sequence[Bar], *, scale: float, empty: str) -> Markup:
    """Horizontal bars, one per row, from 0 to `scale`."""
    if not rows:
        return _empty(title, empty)
    height = _ROW * len(rows) + 8
    span = _WIDTH - _LABEL - _VALUE
    parts = [_open(title, height, "; ".join(f"{r.label}: {r.note}" for r in rows))]
    for i, row in enumerate(rows):
        y = 4 + i * _ROW
        width = 0.0 if scale <= 0 else max(0.0, min(row.value / scale, 1.0)) * span
        parts.append(
            f'<text class="label" x="{_LABEL - 8}" y="{y + 18}" text-anchor="end">'
            f"{escape(_clip(row.label))}</text>"
            f'<rect class="track" x="{_LABEL}" y="{y + 4}" width="{span}" height="18" rx="3"/>'
            f'<rect class="bar {escape(row.tone)}" x="{_LABEL}" y="{y + 4}"'
            f' width="{width:.1f}" height="18" rx="3"/>'
            f'<text class="value" x="{_LABEL + span + 8}" y="{y + 18}">{escape(row.note)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label and note is escaped above


def columns(
    title: str, cols: Sequence[Column], *, empty: str, tones: Mapping[str, str] | None = None
) -> Markup:
    """Stacked columns per hour or day: on time at the bottom, late above, waiting on top."""
    if not cols:
        return _empty(title, empty)
    top = max(c.on_time + c.late + c.waiting for c in cols) or 1
    plot = _HEIGHT - _BOTTOM - 8
    step = (_WIDTH - 64) / len(cols)  # room for the last label to stay inside
    width = max(step * 0.7, 1.0)
    every = max(1, round(len(cols) / 8))  # about eight labels, whatever the period
    say = {**_TONES, **(tones or {})}  # each tone's words, in the page's language
    alt = "; ".join(f"{c.label}: {c.on_time} {say['good']}, {c.late} {say['bad']}" for c in cols)
    parts = [
        _open(title, _HEIGHT, alt),
        f'<text class="axis" x="0" y="14">{top}</text>',
        f'<line class="base" x1="36" y1="{8 + plot}" x2="{_WIDTH}" y2="{8 + plot}"/>',
    ]
    for i, col in enumerate(cols):
        x = 40 + i * step
        y = 8.0 + plot
        for tone, count in (("good", col.on_time), ("bad", col.late), ("plain", col.waiting)):
            h = plot * count / top
            y -= h
            if count:
                named = f"{escape(col.label)}: {count} {escape(say[tone])}"
                parts.append(
                    f'<rect class="bar {tone}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}"'
                    f' height="{h:.1f}"><title>{named}</title></rect>'
                )
        if i % every == 0:
            parts.append(
                f'<text class="axis" x="{x + width / 2:.1f}" y="{_HEIGHT - 12}"'
                f' text-anchor="middle">{escape(col.label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label is escaped above


def _open(title: str, height: int, alt: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" role="img"'
        f' aria-label="{escape(title)}: {escape(alt)}" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>"
    )


def _empty(title: str, text: str) -> Markup:
    return Markup(  # noqa: S704 - escaped
        f'<svg class="chart" viewBox="0 0 {_WIDTH} 40" role="img" aria-label="{escape(title)}">'
        f'<text class="label" x="0" y="24">{escape(text)}</text></svg>'
    )


def _clip(label: str, most: int = 26) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"
