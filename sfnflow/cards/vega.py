"""Vega-Lite charts drawn as inline SVG, without Vega's JavaScript (the report is one
self-contained page that loads nothing). The subset cards use most: a single view over
inline `data.values`, mark bar / line / point / area, x and y fields (nominal, ordinal,
quantitative or temporal), an optional `color` field for series, `aggregate` sum / mean /
count / min / max, and `title`, `width`, `height`. Anything else returns None, and the
card shows the chart's data and spec instead (render.py)."""
from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["vega_svg"]

PALETTE = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d")
_MARKS = ("bar", "line", "point", "area", "circle", "tick")
_AGGREGATES = {"sum": sum, "mean": lambda v: sum(v) / len(v), "count": len, "min": min, "max": max}


def _channel(encoding: dict[str, Any], name: str) -> dict[str, Any] | None:
    channel = encoding.get(name)
    return channel if isinstance(channel, dict) else None


def vega_svg(spec: dict[str, Any]) -> str | None:
    mark = spec.get("mark")
    mark = mark.get("type") if isinstance(mark, dict) else mark
    values = (spec.get("data") or {}).get("values") if isinstance(spec.get("data"), dict) else None
    encoding = spec.get("encoding") or {}
    x, y = _channel(encoding, "x"), _channel(encoding, "y")
    if (mark not in _MARKS or not isinstance(values, list) or x is None or y is None
            or any(k in spec for k in ("layer", "hconcat", "vconcat", "concat", "facet", "repeat", "transform"))):
        return None
    color = _channel(encoding, "color")
    horizontal = mark == "bar" and _quantitative(x) and not _quantitative(y)
    cat, num = (y, x) if horizontal else (x, y)
    if not _quantitative(num):
        return None
    rows = _aggregate(values, cat, num, color)
    if rows is None or not rows:
        return None
    categories = list(dict.fromkeys(r[0] for r in rows))
    series = list(dict.fromkeys(r[2] for r in rows))
    numeric_cat = _quantitative(cat) or cat.get("type") == "temporal"
    if numeric_cat:
        try:
            categories.sort(key=float)
        except (TypeError, ValueError):
            categories.sort(key=str)
    width, height = int(spec.get("width", 480) or 480), int(spec.get("height", 260) or 260)
    left, bottom, top = 56, 44, 28 if spec.get("title") else 10
    right = 110 if len(series) > 1 else 12
    plot_w, plot_h = width, height
    top_v = max([r[1] for r in rows] + [0.0])
    low_v = min([r[1] for r in rows] + [0.0])
    span = (top_v - low_v) or 1.0
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' class='vega' width='{left + plot_w + right}' "
             f"height='{top + plot_h + bottom}' viewBox='0 0 {left + plot_w + right} {top + plot_h + bottom}' "
             "font-family='sans-serif' font-size='11'>"]
    if spec.get("title"):
        title = spec["title"] if isinstance(spec["title"], str) else spec["title"].get("text", "")
        parts.append(f"<text x='{left}' y='16' font-size='13' font-weight='600'>{escape(str(title))}</text>")

    def value_pos(v: float) -> float:
        return (v - low_v) / span * (plot_w if horizontal else plot_h)

    for k in range(5):  # value axis ticks
        v = low_v + span * k / 4
        if horizontal:
            px = left + value_pos(v)
            parts.append(f"<line x1='{px:.1f}' y1='{top}' x2='{px:.1f}' y2='{top + plot_h}' stroke='#eee'/>"
                         f"<text x='{px:.1f}' y='{top + plot_h + 14}' text-anchor='middle'>{_fmt(v)}</text>")
        else:
            py = top + plot_h - value_pos(v)
            parts.append(f"<line x1='{left}' y1='{py:.1f}' x2='{left + plot_w}' y2='{py:.1f}' stroke='#eee'/>"
                         f"<text x='{left - 6}' y='{py + 4:.1f}' text-anchor='end'>{_fmt(v)}</text>")
    slot = (plot_h if horizontal else plot_w) / len(categories)
    zero = value_pos(0.0)
    for i, name in enumerate(categories):  # category axis labels
        c = (top if horizontal else left) + slot * (i + 0.5)
        label = escape(str(name))[:18]
        if horizontal:
            parts.append(f"<text x='{left - 6}' y='{c + 4:.1f}' text-anchor='end'>{label}</text>")
        elif len(categories) <= 30 or i % max(1, len(categories) // 15) == 0:
            parts.append(f"<text x='{c:.1f}' y='{top + plot_h + 14}' text-anchor='middle'>{label}</text>")
    for s_index, serie in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        points = []
        for i, name in enumerate(categories):
            v = next((r[1] for r in rows if r[0] == name and r[2] == serie), None)
            if v is None:
                continue
            c = (top if horizontal else left) + slot * (i + 0.5)
            if mark == "bar":
                band = slot * 0.8 / len(series)
                start = c - slot * 0.4 + band * s_index
                a, b = sorted((zero, value_pos(v)))
                if horizontal:
                    parts.append(f"<rect x='{left + a:.1f}' y='{start:.1f}' width='{max(b - a, 0.5):.1f}' "
                                 f"height='{band:.1f}' fill='{colour}'><title>{escape(str(name))}: {_fmt(v)}</title></rect>")
                else:
                    parts.append(f"<rect x='{start:.1f}' y='{top + plot_h - b:.1f}' width='{band:.1f}' "
                                 f"height='{max(b - a, 0.5):.1f}' fill='{colour}'><title>{escape(str(name))}: "
                                 f"{_fmt(v)}</title></rect>")
            else:
                points.append((c, top + plot_h - value_pos(v), name, v))
        if points and mark in ("line", "area"):
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
            if mark == "area":
                base = top + plot_h - zero
                parts.append(f"<polygon points='{points[0][0]:.1f},{base:.1f} {path} {points[-1][0]:.1f},{base:.1f}' "
                             f"fill='{colour}' fill-opacity='.35'/>")
            parts.append(f"<polyline points='{path}' fill='none' stroke='{colour}' stroke-width='2'/>")
        for px, py, name, v in points:
            parts.append(f"<circle cx='{px:.1f}' cy='{py:.1f}' r='3' fill='{colour}'><title>{escape(str(name))}: "
                         f"{_fmt(v)}</title></circle>")
        if len(series) > 1:
            ly = top + 14 * s_index + 6
            parts.append(f"<rect x='{left + plot_w + 12}' y='{ly}' width='10' height='10' fill='{colour}'/>"
                         f"<text x='{left + plot_w + 26}' y='{ly + 9}'>{escape(str(serie))[:14]}</text>")
    parts.append(f"<line x1='{left}' y1='{top + plot_h}' x2='{left + plot_w}' y2='{top + plot_h}' stroke='#888'/>"
                 f"<line x1='{left}' y1='{top}' x2='{left}' y2='{top + plot_h}' stroke='#888'/>")
    x_title, y_title = _title(x), _title(y)
    parts.append(f"<text x='{left + plot_w / 2:.0f}' y='{top + plot_h + 34}' text-anchor='middle' "
                 f"fill='#555'>{escape(x_title)}</text>")
    parts.append(f"<text transform='translate(12,{top + plot_h / 2:.0f}) rotate(-90)' text-anchor='middle' "
                 f"fill='#555'>{escape(y_title)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _quantitative(channel: dict[str, Any]) -> bool:
    return channel.get("type") == "quantitative" or ("aggregate" in channel and "field" not in channel)


def _title(channel: dict[str, Any]) -> str:
    if channel.get("title"):
        return str(channel["title"])
    if channel.get("aggregate"):
        return f"{channel['aggregate']} of {channel.get('field', 'records')}" if channel.get("field") else "count"
    return str(channel.get("field", ""))


def _aggregate(values: list[Any], cat: dict[str, Any], num: dict[str, Any],
               color: dict[str, Any] | None) -> list[tuple[Any, float, Any]] | None:
    """(category, value, series) per drawn mark; None for data this drawer cannot read."""
    how = num.get("aggregate")
    if how is not None and how not in _AGGREGATES:
        return None
    groups: dict[tuple[Any, Any], list[float]] = {}
    for row in values:
        if not isinstance(row, dict) or cat.get("field") not in row:
            return None
        key = (row[cat["field"]], row.get(color["field"]) if color and color.get("field") else "")
        if how == "count":
            groups.setdefault(key, []).append(1.0)
            continue
        try:
            groups.setdefault(key, []).append(float(row[num["field"]]))
        except (KeyError, TypeError, ValueError):
            return None
    if how is None:
        return [(k[0], v[-1], k[1]) for k, v in groups.items()]
    agg = _AGGREGATES[how]
    return [(k[0], float(agg(v) if how != "count" else len(v)), k[1]) for k, v in groups.items()]


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:.3g}"
