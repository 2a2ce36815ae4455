"""Every task attempt of a run on one time axis (a Gantt chart), as SVG.

One band per step; within a band, attempts that overlap in time go to separate lanes
(greedy interval packing), capped so that a 1,000-way foreach stays a readable band.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Sequence

from .graph_svg import STATUS_COLOURS

LABEL_W, WIDTH, LANE_H, MAX_LANES, TOP = 150, 980, 7, 12, 26


@dataclass(frozen=True)
class Bar:
    step: str
    task: str
    attempt: int
    start: float
    end: float | None  # None: still running (drawn up to the run's last known time)
    status: str
    compute: str


def pack_lanes(bars: Sequence[Bar], horizon: float) -> list[int]:
    """A lane for each bar so that bars in one lane do not overlap (beyond MAX_LANES they share)."""
    lane_end: list[float] = []
    lanes = []
    for bar in bars:
        end = bar.end if bar.end is not None else horizon
        for i, free_at in enumerate(lane_end):
            if free_at <= bar.start:
                lane_end[i] = end
                lanes.append(i)
                break
        else:
            if len(lane_end) < MAX_LANES:
                lane_end.append(end)
                lanes.append(len(lane_end) - 1)
            else:
                i = min(range(len(lane_end)), key=lane_end.__getitem__)
                lane_end[i] = max(lane_end[i], end)
                lanes.append(i)
    return lanes


def timeline_svg(bars: Sequence[Bar], steps: Sequence[str], t0: float, t1: float) -> str:
    span = max(t1 - t0, 1e-3)
    scale = (WIDTH - LABEL_W - 10) / span
    bands = []
    y = TOP
    for step in steps:
        mine = sorted((b for b in bars if b.step == step), key=lambda b: (b.start, b.task))
        if not mine:
            continue
        lanes = pack_lanes(mine, t1)
        height = (max(lanes) + 1) * LANE_H + 8
        bands.append((step, y, height, list(zip(mine, lanes))))
        y += height + 4
    total_h = y + 8
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{WIDTH}" height="{total_h}" '
           f'viewBox="0 0 {WIDTH} {total_h}" role="img" aria-label="task timeline">']
    for i in range(6):  # time axis
        x = LABEL_W + i * (WIDTH - LABEL_W - 10) / 5
        out.append(f'<line x1="{x:.0f}" y1="{TOP - 6}" x2="{x:.0f}" y2="{total_h - 6}" stroke="#e0e0e0"/>'
                   f'<text x="{x:.0f}" y="{TOP - 10}" text-anchor="middle" class="tick">'
                   f'{span * i / 5:.1f}s</text>')
    for step, top, height, placed in bands:
        out.append(f'<text x="{LABEL_W - 8}" y="{top + height / 2 + 4:.0f}" text-anchor="end" '
                   f'class="band-label">{escape(step)} ({len(placed)})</text>'
                   f'<rect x="{LABEL_W}" y="{top}" width="{WIDTH - LABEL_W - 10}" height="{height}" '
                   f'fill="#fafafa"/>')
        for bar, lane in placed:
            x = LABEL_W + (bar.start - t0) * scale
            w = max(((bar.end if bar.end is not None else t1) - bar.start) * scale, 1.5)
            duration = f"{bar.end - bar.start:.2f}s" if bar.end is not None else "running"
            tip = f"{step}/{bar.task} attempt {bar.attempt}: {bar.status}, {duration}, {bar.compute}"
            out.append(f'<rect x="{x:.1f}" y="{top + 4 + lane * LANE_H}" width="{w:.1f}" '
                       f'height="{LANE_H - 1}" fill="{STATUS_COLOURS.get(bar.status, "#607d8b")}">'
                       f'<title>{escape(tip)}</title></rect>')
    out.append("</svg>")
    return "\n".join(out)


TIMELINE_STYLE = ".timeline text{font-family:system-ui,sans-serif}.tick{font-size:10px;fill:#757575}" \
                 ".band-label{font-size:12px;fill:#424242}"
