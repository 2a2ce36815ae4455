"""Plan a resume: which run, from which step, which steps' tasks are reused by reference."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from sfn_compiler.diagnostics import SfnflowError


@dataclass(frozen=True)
class ResumePlan:
    flow: str
    origin_run_id: str
    flow_file: str
    root: str
    parameters: dict[str, Any]
    failed_steps: tuple[str, ...]
    succeeded_steps: tuple[str, ...]
    from_step: str | None = None
    reuse_steps: tuple[str, ...] = ()
    interrupted_steps: tuple[str, ...] = ()  # stopped (Ctrl-C, kill, run ended) with no failure of their own
    note: str | None = None  # something the user should know (a dead run was closed)

    def for_graph(self, graph: Any) -> "ResumePlan":
        """Fix the resume point against the (possibly edited) flow's graph."""
        if graph.name != self.flow:
            raise SfnflowError(f"{self.flow_file} defines {graph.name}, but run {self.origin_run_id} is of {self.flow}.")
        order = [s.name for s in graph.steps]
        start = self.from_step
        if start is not None and start not in order:
            raise SfnflowError(f"--from {start}: the flow has no such step (steps: {', '.join(order)}).")
        if start is None:
            pending = [name for name in _topological(graph) if name in self.failed_steps or name not in self.succeeded_steps]
            if not pending:
                raise SfnflowError(f"run {self.origin_run_id} finished every step; give --from STEP to rerun part of it.")
            start = pending[0]
        downstream = _descendants(graph, start)
        reuse = tuple(n for n in order if n not in downstream and n in self.succeeded_steps)
        if self.from_step is None and start in self.interrupted_steps:
            # Nothing in it failed on its own: keep the tasks that finished (a task that has
            # no index, i.e. did not finish, runs again).
            reuse = tuple(n for n in order if n in reuse or n == start)
        return replace(self, from_step=start, reuse_steps=reuse)


def plan_resume(run_id: str | None, *, from_step: str | None, flow_file: str | None, root: str | None,
                force: bool = False) -> ResumePlan:
    from runtime.stores.blobs import resolve_local_root
    from runtime.stores.sqlite_metadata import SqliteMetadataStore

    root = resolve_local_root(root=root)
    metadata = SqliteMetadataStore(root)
    record = _find_run(metadata, run_id)
    note = None
    if record.status == "RUNNING" and not force:
        owner = record.owner or {}
        who = f" (process {owner.get('pid')} on {owner.get('host')})" if owner else ""
        raise SfnflowError(f"run {record.run_id} is still running{who}; resuming it now would run its steps twice "
                           "at once. Wait for it to end, stop it (Ctrl-C), or pass --force to resume anyway.")
    if metadata.close_dead_run(record):
        note = f"run {record.run_id} was left RUNNING: {record.error['message'].split(';')[0]}. Recorded as ABORTED."
    path = flow_file or record.flow_file
    if not path or not os.path.isfile(path):
        raise SfnflowError(f"the flow file of run {record.run_id} ({path or 'unknown'}) is gone; give --flow-file.")
    statuses: dict[str, set[str]] = {}
    for task in metadata.list_tasks(record.flow, record.run_id):
        statuses.setdefault(task.step, set()).add(task.status)
    ok = {"SUCCEEDED", "REUSED", "CAUGHT"}
    own_failures = {task.step for task in metadata.list_tasks(record.flow, record.run_id)
                    if task.status == "FAILED" and (task.error or {}).get("type") not in _STOPPED}
    return ResumePlan(
        flow=record.flow, origin_run_id=record.run_id, flow_file=path, root=root, parameters=dict(record.parameters),
        failed_steps=tuple(s for s, st in statuses.items() if "FAILED" in st and not st <= ok),
        succeeded_steps=tuple(s for s, st in statuses.items() if st <= ok),
        from_step=from_step,
        interrupted_steps=tuple(s for s, st in statuses.items() if not st <= ok and s not in own_failures),
        note=note,
    )


# Attempts that ended because the run was stopped, not because of their own code.
_STOPPED = ("Aborted", "Cancelled")


def _find_run(metadata: Any, run_id: str | None) -> Any:
    flows = metadata.list_flows()
    if run_id is None:
        latest = [r for f in flows for r in metadata.list_runs(f)[:1]]
        if not latest:
            raise SfnflowError("no local runs to resume.")
        return max(latest, key=lambda r: r.created_at)
    found = [r for f in flows if (r := metadata.get_run(f, run_id)) is not None]
    if not found:
        raise SfnflowError(f"no local run {run_id}. List runs with: sfnflow runs FLOW_NAME")
    return found[0]


def _descendants(graph: Any, start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(graph[name].out_edges)
    return seen


def _topological(graph: Any) -> list[str]:
    order, seen = [], set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for target in graph[name].out_edges:
            visit(target)
        order.append(name)

    visit("start")
    return list(reversed(order))
