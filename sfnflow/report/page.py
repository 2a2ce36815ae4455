"""The run report as one self-contained HTML page (inline CSS and SVG, no script, no network)."""
from __future__ import annotations

import datetime as dt
import json
from html import escape
from typing import Any

from ..cards.render import CARD_CSS, render_card
from .collect import RunReport, StepView, TaskView
from .graph_svg import STATUS_COLOURS, SVG_STYLE, graph_svg
from .timeline_svg import TIMELINE_STYLE, timeline_svg

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#212121;background:#f5f5f5}
header{background:#263238;color:#fff;padding:18px 28px}header h1{margin:0 0 6px;font-size:22px}
header .meta{font-size:13px;opacity:.9}main{padding:8px 28px 40px;max-width:1200px}
section{background:#fff;border-radius:8px;padding:14px 18px;margin:16px 0;box-shadow:0 1px 2px #0002}
h2{font-size:17px;margin:4px 0 12px}h3{font-size:15px;margin:6px 0}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px 3px 0;text-align:left;vertical-align:top}
th{color:#616161;font-weight:600}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
pre{background:#fafafa;border:1px solid #eee;padding:8px;overflow:auto;max-height:320px;white-space:pre-wrap}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.kind{color:#757575;font-size:12px}.frame td,.frame th{padding:1px 8px;border-bottom:1px solid #eee}
.scroll{overflow-x:auto}details{margin:4px 0}summary{cursor:pointer;color:#37474f}
.error{border-left:4px solid #c62828;padding-left:10px}
"""


def render(report: RunReport) -> str:
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(report.flow)}/{escape(report.run_id)}: {escape(report.status)}</title>",
        f"<style>{CSS}{SVG_STYLE}{TIMELINE_STYLE}{CARD_CSS}</style>", "</head>", "<body>",
        _header(report), "<main>",
    ]
    if report.error:
        parts.append(_section("What failed", _error(report.error)))
    parts.append(_section("Graph", _graph(report)))
    parts.append(_section("Timeline", _timeline(report)))
    if report.parameters:
        parts.append(_section("Parameters", _table(["name", "value"], [
            (escape(k), f"<code>{escape(json.dumps(v, default=str))}</code>") for k, v in report.parameters.items()])))
    for step in report.steps:
        parts.append(_step(step))
        if any(t.cards for t in step.tasks):
            parts.append(_cards(step))
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts)


def _header(report: RunReport) -> str:
    duration = (f", {report.finished_at - report.created_at:.1f} s" if report.finished_at else "")
    link = (f' · <a style="color:#80cbc4" href="{escape(report.console_url)}">execution in the AWS console</a>'
            if report.console_url else "")
    tags = f" · tags {escape(', '.join(report.tags))}" if report.tags else ""
    return (f"<header><h1>{escape(report.flow)} / {escape(report.run_id)} {_badge(report.status)}</h1>"
            f"<div class='meta'>started {_when(report.created_at)}{duration} · "
            f"{sum(len(s.tasks) for s in report.steps):,} tasks · store {escape(report.store)}{tags}{link}</div>"
            "</header>")


def _graph(report: RunReport) -> str:
    if report.graph is None:
        return "<p>The flow file of this run is not available here, so its graph cannot be drawn.</p>"
    status = {s.name: s.status for s in report.steps if s.tasks}
    counts = {s.name: f"{sum(t.status in ('SUCCEEDED', 'REUSED') for t in s.tasks)}/{len(s.tasks)} ok"
              for s in report.steps if s.tasks}
    for node in report.graph.steps:
        status.setdefault(node.name, "NOT RUN")
    return f"<div class='scroll'>{graph_svg(report.graph, report.compute, status, counts)}</div>"


def _timeline(report: RunReport) -> str:
    if not report.bars:
        return "<p>No task has started.</p>"
    t0 = min(b.start for b in report.bars)
    t1 = max([b.end or b.start for b in report.bars] + [report.finished_at or 0.0])
    steps = [s.name for s in report.steps]
    legend = " ".join(_badge(s) for s in ("SUCCEEDED", "FAILED", "CAUGHT", "REUSED", "RUNNING"))
    return f"<div class='scroll'>{timeline_svg(report.bars, steps, t0, t1)}</div><p>{legend}</p>"


def _step(step: StepView) -> str:
    rows = [(escape(t.task_id), _badge(t.status), str(t.attempts), escape(t.compute), _when(t.started_at),
             f"{t.finished_at - t.started_at:.2f} s" if t.finished_at else "") for t in step.tasks[:50]]
    more = f"<p class='kind'>… and {len(step.tasks) - 50:,} more tasks</p>" if len(step.tasks) > 50 else ""
    env = f"<p>{' '.join(f'<code>{escape(d)}</code>' for d in step.decorators)}</p>" if step.decorators else ""
    body = [env, _table(["task", "status", "attempts", "compute", "started", "took"], rows), more]
    for task in step.tasks:
        if task.artifacts or task.stdout or task.stderr or task.error:
            body.append(_task_details(step.name, task))
    return _section(f"{escape(step.name)} {_badge(step.status)}", "".join(body), raw_title=True)


def _cards(step: StepView) -> str:
    """The step's @card, one per task shown (a 'default' card's artifacts are in the step's section)."""
    shown = [t for t in step.tasks if t.cards]
    body = "".join(f"<h3>{escape(step.name)}/{escape(t.task_id)}</h3>" + "".join(render_card(c) for c in t.cards)
                   for t in shown)
    return f"<section class='cards'><h2>Card: {escape(step.name)}</h2>{body}</section>"


def _task_details(step: str, task: TaskView) -> str:
    inner = []
    if task.origin:
        inner.append(f"<p class='kind'>reused from {escape(task.origin)}</p>")
    if task.error:
        inner.append(_error(task.error))
    if task.artifacts:
        inner.append(_table(["artifact", "value"], [(f"<code>{escape(k)}</code>", v) for k, v in task.artifacts.items()]))
    for stream in ("stdout", "stderr"):
        text = getattr(task, stream)
        if text:
            inner.append(f"<details><summary>{stream}</summary><pre>{escape(text)}</pre></details>")
    return f"<details open><summary>{escape(step)}/{escape(task.task_id)}</summary>{''.join(inner)}</details>"


def _error(error: dict[str, Any]) -> str:
    where = "/".join(str(error[k]) for k in ("step", "task") if error.get(k))
    trace = error.get("traceback") or error.get("stacktrace")
    return (f"<div class='error'><p><b>{escape(str(error.get('type', 'Error')))}</b>"
            f"{' in ' + escape(where) if where else ''}: {escape(str(error.get('message', '')))}</p>"
            + (f"<pre>{escape(str(trace))}</pre>" if trace else "") + "</div>")


def _section(title: str, body: str, raw_title: bool = False) -> str:
    return f"<section><h2>{title if raw_title else escape(title)}</h2>{body}</section>"


def _table(headers: list[str], rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _badge(status: str) -> str:
    return f"<span class='badge' style='background:{STATUS_COLOURS.get(status, '#607d8b')}'>{escape(status)}</span>"


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else ""
