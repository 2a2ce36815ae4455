"""Everything a run report shows, read once from the stores into plain records.

Reading is bounded so that a 1,000-task run reports quickly: attempts come from one
`list_tasks` call (earlier attempts are read only for tasks that retried), and artifact
previews and logs are read for the first few tasks of each step only.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from sfnflow.render import describe_decorator

from .previews import preview
from .timeline_svg import Bar

TASKS_SHOWN = 3  # per step: artifacts and logs of the first tasks
LOG_CHARS = 4000
PREVIEW_MAX_BYTES = 32 * 1024 * 1024  # a larger stored artifact is named, not loaded


@dataclass
class TaskView:
    task_id: str
    status: str
    attempts: int
    compute: str
    started_at: float
    finished_at: float | None
    error: dict[str, Any] | None
    artifacts: dict[str, str] = field(default_factory=dict)  # name -> preview HTML
    stdout: str = ""
    stderr: str = ""
    origin: str | None = None
    cards: list[dict[str, Any]] = field(default_factory=list)  # @card: what runtime/cards.py saved


@dataclass
class StepView:
    name: str
    tasks: list[TaskView]
    decorators: list[str]

    @property
    def status(self) -> str:
        states = {t.status for t in self.tasks}
        for worst in ("FAILED", "RUNNING", "CAUGHT"):
            if worst in states:
                return worst
        return "REUSED" if states == {"REUSED"} else "SUCCEEDED"


@dataclass
class RunReport:
    flow: str
    run_id: str
    status: str
    created_at: float
    finished_at: float | None
    parameters: dict[str, Any]
    tags: list[str]
    error: dict[str, Any] | None
    graph: Any  # FlowGraph, or None when the flow file is gone
    compute: dict[str, str]
    steps: list[StepView]
    bars: list[Bar]
    store: str
    console_url: str | None = None


def collect(stores: Any, flow: str, run_id: str, graph: Any = None, compute: dict[str, str] | None = None,
            console_url: str | None = None) -> RunReport:
    record = stores.metadata.get_run(flow, run_id)
    if record is None:
        raise LookupError(f"no run {flow}/{run_id} in {stores.root}")
    latest = stores.metadata.list_tasks(flow, run_id)
    by_step: dict[str, list[Any]] = {}
    for attempt in latest:
        by_step.setdefault(attempt.step, []).append(attempt)
    order = [n.name for n in graph.steps] if graph is not None else []
    order += sorted(s for s in by_step if s not in order)
    steps, bars = [], []
    for name in order:
        attempts = sorted(by_step.get(name, []), key=lambda a: _task_key(a.task_id))
        node = next((n for n in graph.steps if n.name == name), None) if graph is not None else None
        decorators = [describe_decorator(d) for d in node.decorators] if node is not None else []
        views = []
        for i, last in enumerate(attempts):
            history = (stores.metadata.list_attempts(flow, run_id, name, last.task_id)
                       if last.attempt > 0 else [last])
            bars.extend(Bar(name, a.task_id, a.attempt, a.started_at, a.finished_at, a.status, a.compute)
                        for a in history)
            view = TaskView(last.task_id, last.status, last.attempt + 1, last.compute, history[0].started_at,
                            last.finished_at, last.error)
            if i < TASKS_SHOWN:
                _fill_details(stores, flow, run_id, name, last, view)
            views.append(view)
        if views or node is not None:
            steps.append(StepView(name, views, decorators))
    return RunReport(flow, run_id, record.status, record.created_at, record.finished_at,
                     dict(record.parameters), list(record.tags), record.error, graph, dict(compute or {}),
                     steps, bars, str(stores.root), console_url)


def _fill_details(stores: Any, flow: str, run_id: str, step: str, attempt: Any, view: TaskView) -> None:
    index = stores.artifacts.get_index(flow, run_id, step, attempt.task_id)
    if index is not None:
        view.origin = index.meta.get("origin")
        for name, sha in sorted(index.artifacts.items()):
            view.artifacts[name] = _preview_artifact(stores.artifacts, flow, sha)
    view.cards = _cards(stores, flow, run_id, step, attempt.task_id)
    for stream in ("stdout", "stderr"):
        try:
            text = stores.artifacts.get_log(flow, run_id, step, attempt.task_id, attempt.attempt, stream)
        except (KeyError, OSError):
            continue
        text = text.decode("utf-8", errors="replace")
        setattr(view, stream, text if len(text) <= LOG_CHARS else text[:LOG_CHARS] + "\n… (truncated)")


def _cards(stores: Any, flow: str, run_id: str, step: str, task_id: str) -> list[dict[str, Any]]:
    from runtime.cards import cards_key

    try:
        return list(stores.artifacts.get_json(cards_key(flow, run_id, step, task_id)).get("cards", []))
    except (KeyError, OSError, ValueError):
        return []


def _preview_artifact(artifacts: Any, flow: str, sha: str) -> str:
    blobs = getattr(artifacts, "blobs", None)
    path = getattr(blobs, "path", None)  # local stores can say how big a blob is without reading it
    if path is not None:
        try:
            size = os.path.getsize(path(artifacts.data_key(flow, sha)))
        except OSError:
            size = 0
        if size > PREVIEW_MAX_BYTES:
            return f"<div class='kind'>{size / 2**20:,.0f} MiB stored: not previewed</div>"
    try:
        return preview(artifacts.load(flow, sha))
    except Exception as exc:  # a value whose class is not importable here, a damaged blob...
        return f"<div class='kind'>not readable here: {type(exc).__name__}: {str(exc)[:200]}</div>"


def _task_key(task_id: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in task_id.split("."))
