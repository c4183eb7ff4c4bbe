"""The dashboard's arithmetic and charts, without CKAN: completeness, lead times, SVG.

- :func:`missing_fields`: which required metadata fields of a dataset are empty;
- :func:`lead_times`: from audit entries (the privacy review's trail), how long datasets
  waited between two review events, as median and 90th percentile in days;
- :func:`bar_chart`: a small horizontal bar chart as self-contained, accessible SVG.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

EMPTY = (None, "", "[]", "{}", '""', "null")


def is_empty(value: Any) -> bool:
    """True for a missing metadata value: None, blank text, empty list/dict (or their JSON)."""
    if isinstance(value, str):
        return value.strip() in EMPTY
    if isinstance(value, dict):
        return not value
    if isinstance(value, (list, tuple, set)):
        return all(is_empty(v) for v in value)
    return value is None


def missing_fields(pkg: dict[str, Any], required: Iterable[str]) -> list[str]:
    """The required fields whose value in ``pkg`` is empty, in the order given."""
    return [field for field in required if is_empty(pkg.get(field))]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` (0-100) percentile with linear interpolation (numpy's default), or None."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(pos), math.ceil(pos)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _when(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, str) and value:
        try:
            stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def lead_times(entries: Iterable[dict[str, Any]], start_states: Iterable[str],
               end_states: Iterable[str]) -> list[float]:
    """Days from a dataset entering one of ``start_states`` to its next ``end_states`` entry.

    ``entries`` are audit entries with ``package_id``, ``to_state`` and ``created`` (ISO
    time), in any order. A dataset that enters a start state again (resubmission) starts a
    new interval; intervals that have not ended are not counted.
    """
    start_states, end_states = set(start_states), set(end_states)
    by_package: dict[str, list[tuple[dt.datetime, str]]] = {}
    for entry in entries:
        stamp = _when(entry.get("created") or entry.get("timestamp"))
        state = entry.get("to_state") or entry.get("state")
        pkg = entry.get("package_id")
        if stamp and state and pkg:
            by_package.setdefault(pkg, []).append((stamp, state))
    days: list[float] = []
    for events in by_package.values():
        started: dt.datetime | None = None
        for stamp, state in sorted(events):
            if state in start_states:
                started = started or stamp
            elif state in end_states and started is not None:
                days.append((stamp - started).total_seconds() / 86400.0)
                started = None
    return days


def summary(days: Sequence[float]) -> dict[str, Any]:
    """Count, median and 90th percentile (days, one decimal) of a list of lead times."""
    def rounded(x: float | None) -> float | None:
        return None if x is None else round(x, 1)

    return {"count": len(days), "median_days": rounded(percentile(days, 50)),
            "p90_days": rounded(percentile(days, 90))}


def bar_chart(title: str, rows: Sequence[tuple[str, int]], *, width: int = 420,
              bar_height: int = 20, label_width: int = 170, warn: bool = False) -> str:
    """A horizontal bar chart (label, value) as SVG markup with a title for screen readers.

    Colours come from the page's CSS (classes ``bar``/``bar--warn``), so the chart follows
    the design tokens. Labels and the title are escaped.
    """
    gap = 6
    height = max(1, len(rows)) * (bar_height + gap) + gap
    top = max((value for _, value in rows), default=0) or 1
    plot = width - label_width - 50
    ident = "chart-" + hashlib.sha1(repr((title, list(rows))).encode()).hexdigest()[:10]
    parts = [
        f'<svg class="gemeente-chart" role="img" aria-labelledby="{ident}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}">{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_height + gap)
        length = 0 if value <= 0 else max(2, round(plot * value / top))
        short = label if len(label) <= 24 else label[:23] + "…"
        cls = "bar bar--warn" if warn else "bar"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar_height * 0.7:.0f}" '
            f'text-anchor="end">{escape(short)}</text>'
            f'<rect class="{cls}" x="{label_width}" y="{y}" width="{length}" '
            f'height="{bar_height}"></rect>'
            f'<text x="{label_width + length + 4}" y="{y + bar_height * 0.7:.0f}">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def loads_list(value: Any) -> list[Any]:
    """A list from an index value that may be a JSON list, a plain string or a list."""
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.startswith("["):
        try:
            loaded = json.loads(value)
            return loaded if isinstance(loaded, list) else [loaded]
        except ValueError:
            pass
    return [] if value in (None, "") else [value]
