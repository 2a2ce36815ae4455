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
    # The failed step a resume starts at by default: its tasks that succeeded in the origin
    # run are reused too (their inputs are reused, so they would compute the same), and
    # only the ones that failed run again. An explicit --from reruns its step whole.
    partial_step: str | None = None

    @property
    def runtime_steps(self) -> tuple[str, ...]:
        """The steps the runtime reuses task by task (a task without a successful origin runs)."""
        return self.reuse_steps + ((self.partial_step,) if self.partial_step else ())

    def describe(self) -> str:
        partial = (f" Tasks of '{self.partial_step}' that succeeded are reused too; the failed ones run again."
                   if self.partial_step else "")
        return (f"from step '{self.from_step}'; reusing {', '.join(self.reuse_steps) or 'nothing'}.{partial}")

    def for_graph(self, graph: Any) -> "ResumePlan":
        """Fix the resume point against the (possibly edited) flow's graph."""
        if graph.name != self.flow:
            raise SfnflowError(f"{self.flow_file} defines {graph.name}, but run {self.origin_run_id} is of {self.flow}.")
        return self.for_edges({s.name: tuple(s.out_edges) for s in graph.steps})

    def for_edges(self, edges: dict[str, tuple[str, ...]]) -> "ResumePlan":
        """The same, from the steps (in source order) and their out-edges alone (a deployed flow's)."""
        order = list(edges)
        start = self.from_step
        if start is not None and start not in order:
            raise SfnflowError(f"--from {start}: the flow has no such step (steps: {', '.join(order)}).")
        partial = None
        if start is None:
            pending = [name for name in _topological(edges) if name in self.failed_steps or name not in self.succeeded_steps]
            if not pending:
                raise SfnflowError(f"run {self.origin_run_id} finished every step; give --from STEP to rerun part of it.")
            start = pending[0]
            partial = start if start in self.failed_steps else None
        downstream = _descendants(edges, start)
        reuse = tuple(n for n in order if n not in downstream and n in self.succeeded_steps)
        if self.from_step is None and start in self.interrupted_steps:
            # Nothing in it failed on its own: keep the tasks that finished (a task that has
            # no index, i.e. did not finish, runs again).
            reuse = tuple(n for n in order if n in reuse or n == start)
            partial = None
        return replace(self, from_step=start, reuse_steps=reuse, partial_step=partial)


def plan_resume(run_id: str | None, *, from_step: str | None, flow_file: str | None, root: str | None,
                force: bool = False, flow_name: str | None = None) -> ResumePlan:
    """`flow_name`: with no run id, resume that flow's latest run (not the latest run of any flow)."""
    from runtime.stores.blobs import resolve_local_root
    from runtime.stores.sqlite_metadata import SqliteMetadataStore

    root = resolve_local_root(root=root)
    metadata = SqliteMetadataStore(root)
    record = _find_run(metadata, run_id, flow_name)
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
    return plan_from_record(record, metadata.list_tasks(record.flow, record.run_id), from_step=from_step,
                            flow_file=path, root=root, note=note)


def plan_from_record(record: Any, tasks: list[Any], *, from_step: str | None, flow_file: str = "",
                     root: str = "", note: str | None = None) -> ResumePlan:
    """A plan (resume point not fixed yet) from the origin run's record and its tasks."""
    statuses: dict[str, set[str]] = {}
    for task in tasks:
        statuses.setdefault(task.step, set()).add(task.status)
    ok = {"SUCCEEDED", "REUSED", "CAUGHT"}
    own_failures = {task.step for task in tasks
                    if task.status == "FAILED" and (task.error or {}).get("type") not in _STOPPED}
    return ResumePlan(
        flow=record.flow, origin_run_id=record.run_id, flow_file=flow_file, root=root,
        parameters=dict(record.parameters),
        failed_steps=tuple(s for s, st in statuses.items() if "FAILED" in st and not st <= ok),
        succeeded_steps=tuple(s for s, st in statuses.items() if st <= ok),
        from_step=from_step,
        interrupted_steps=tuple(s for s, st in statuses.items() if not st <= ok and s not in own_failures),
        note=note,
    )


# Attempts that ended because the run was stopped, not because of their own code.
_STOPPED = ("Aborted", "Cancelled")


def _find_run(metadata: Any, run_id: str | None, flow_name: str | None = None) -> Any:
    flows = metadata.list_flows()
    if run_id is None:
        latest = [r for f in flows if flow_name in (None, f) for r in metadata.list_runs(f)[:1]]
        if not latest:
            raise SfnflowError(f"no local runs of {flow_name} to resume." if flow_name else "no local runs to resume.")
        return max(latest, key=lambda r: r.created_at)
    found = [r for f in flows if (r := metadata.get_run(f, run_id)) is not None]
    if not found:
        raise SfnflowError(f"no local run {run_id}. List runs with: sfnflow runs FLOW_NAME")
    return found[0]


def _descendants(edges: dict[str, tuple[str, ...]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(edges.get(name, ()))
    return seen


def _topological(edges: dict[str, tuple[str, ...]]) -> list[str]:
    order, seen = [], set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for target in edges.get(name, ()):
            visit(target)
        order.append(name)

    visit("start")
    return list(reversed(order))
