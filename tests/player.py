"""The test flows and a stand-in for the task runtime, shared by the engine and moto suites.

The flows are the examples (examples/*.py), compiled as they deploy (their goldens are
tests/golden/*.asl.json). `TaskPlayer` answers each task the way runtime.task.run_task
would by the envelope contract (sfn_compiler/contract/envelope.py): `{}` for a step, and
for a foreach step `{"n", "items"}` with the items in the state (inline Map) or written to
the artifact store (Distributed Map). What each step does beyond that is set per run by a
`Script`: fail (always, or its first attempts), raise for some foreach items, sleep,
crash its process, fan out wider. Every call is recorded.

The player runs in the test process (moto's Lambda service calls it, tests/test_golden.py)
or in the engine's forked workers (tests/engine): scripts and records then travel through
files in `folder`, named after the run.
"""
from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sfn_compiler.compile import CompiledFlow, compile_file
from sfn_compiler.contract import envelope
from sfn_compiler.graph.model import FlowGraph

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
_compiled: dict[str, CompiledFlow] = {}


def example(stem: str) -> CompiledFlow:
    """examples/<stem>.py compiled (cached)."""
    if stem not in _compiled:
        _compiled[stem] = compile_file(str(ROOT / "examples" / f"{stem}.py"))
    return _compiled[stem]


class UserCodeError(Exception):
    """Same class name as runtime.errors.UserCodeError: Retry / Catch match on the name."""


@dataclass
class Script:
    """What the steps of one run do, besides answering by the contract."""

    fail: dict[str, int] = field(default_factory=dict)  # step -> attempts that fail (-1: every one)
    fail_items: dict[str, list[str]] = field(default_factory=dict)  # step -> task ids that fail
    fanout: dict[str, int] = field(default_factory=dict)  # foreach step -> items (default 2)
    distributed: bool = False  # every foreach takes the Distributed Map, however few its items
    sleep: list[str] = field(default_factory=list)  # steps that sleep until they are killed
    crash: list[str] = field(default_factory=list)  # steps whose process dies
    # switch step -> the case it takes, by the last part of its task id (a loop's iteration);
    # unscripted switches take their first case that does not go back (a loop runs once)
    cases: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str) -> "Script":
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Call:
    step: str
    run: str
    task: str
    mode: str
    attempt: int
    error: dict[str, Any] | None = None  # what a catch task was given


class TaskPlayer:
    """A task executor (payload -> result) playing the runtime for the example flows."""

    def __init__(self, folder: str | None = None,
                 write_items: Callable[[str, list[str]], None] | None = None) -> None:
        """
        Args:
            folder: where scripts (<run>.json) and records (<run>.calls) are exchanged with
                the test process; it is also the artifact root the items files go to.
            write_items: how a Distributed Map's items are stored (default: under `folder`).
        """
        self.folder, self._write_items = folder, write_items
        self.graphs = {flow.graph.name: flow.graph for flow in map(example, (p.stem for p in EXAMPLES))}
        self.scripts: dict[str, Script] = {}
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    # -- the test side ---------------------------------------------------------------------------
    def script(self, run: str, script: Script | None = None) -> None:
        script = script or Script()
        self.scripts[run] = script
        if self.folder is not None:
            Path(self.folder, f"{run}.json").write_text(json.dumps(dataclasses.asdict(script)))

    def calls_of(self, run: str) -> list[Call]:
        if self.folder is None:
            return [c for c in self.calls if c.run == run]
        path = Path(self.folder, f"{run}.calls")
        lines = path.read_text().splitlines() if path.exists() else []
        return [Call(**json.loads(line)) for line in lines]

    # -- the runtime side --------------------------------------------------------------------------
    def _switch(self, graph: FlowGraph, node: Any, env: envelope.TaskEnvelope, script: Script) -> dict[str, Any]:
        """A switch step's result: the case taken and the task id of the step it leads to."""
        from runtime.positions import Positions

        values = script.cases.get(env.step)
        if values:
            value = values[min(int(env.task.split(".")[-1]), len(values) - 1)]
            target = next(t for v, t in node.switch_cases if v == value)
        else:
            value, target = next(((v, t) for v, t in node.switch_cases if t not in node.loops_back_to),
                                 node.switch_cases[0])
        return {"run": env.run, "p": Positions(graph).next_task(node, env.task, target), "case": value}

    def __call__(self, payload: dict[str, Any]) -> Any:
        env = envelope.TaskEnvelope.from_payload(payload)
        self._record(Call(env.step, env.run, env.task, env.mode, env.attempt, env.error))
        if env.mode == envelope.MODE_CATCH:
            return {}
        script = self._script(env.run)
        fails = script.fail.get(env.step)
        if fails is not None and (fails < 0 or env.attempt < fails):
            raise UserCodeError(f"{env.step} failed on purpose (attempt {env.attempt})")
        if env.task in script.fail_items.get(env.step, ()):
            raise UserCodeError(f"{env.step} failed for item {env.task}")
        if env.step in script.crash:
            os._exit(3)
        if env.step in script.sleep:
            time.sleep(3600)  # until the engine kills this worker
        graph = self.graphs[env.flow]
        node = graph[env.step]
        if node.is_switch:
            return self._switch(graph, node, env, script)
        if not node.is_foreach:
            return {}
        n = script.fanout.get(env.step, 2)
        top = not any(graph[p].is_foreach for p in node.split_parents)
        items = [envelope.child_task_id(env.task, i, top) for i in range(n)]
        if not script.distributed and n <= env.inline_max:
            return {"n": n, "items": items}
        self._store_items(envelope.foreach_items_key(env.flow, env.run, env.step, env.task), items)
        # Claim one more than inline_max so the fan-out Choice takes the Distributed Map with few items.
        return {"n": max(n, env.inline_max + 1), "items": None}

    def _script(self, run: str) -> Script:
        if self.folder is None:
            return self.scripts.get(run) or Script()
        path = Path(self.folder, f"{run}.json")
        return Script.from_json(path.read_text()) if path.exists() else Script()

    def _record(self, call: Call) -> None:
        if self.folder is None:
            with self._lock:
                self.calls.append(call)
            return
        line = json.dumps(dataclasses.asdict(call)) + "\n"
        fd = os.open(os.path.join(self.folder, f"{call.run}.calls"), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, line.encode())  # one write per line: O_APPEND keeps the workers' lines whole
        finally:
            os.close(fd)

    def _store_items(self, key: str, items: list[str]) -> None:
        if self._write_items is not None:
            self._write_items(key, items)
            return
        assert self.folder is not None, "TaskPlayer needs a folder or write_items for a Distributed Map"
        path = Path(self.folder, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(items))


def graph_of(stem: str) -> FlowGraph:
    return example(stem).graph


def map_state(flow: CompiledFlow, step: str, kind: str = "distributed") -> str:
    """The name of the inline ("inline") or Distributed ("distributed") Map state of foreach `step`."""
    name = f"{step}.map.distributed" if kind == "distributed" else f"{step}.map"
    assert name in _all_states(flow.asl), f"no state {name} in {flow.graph.name}"
    return name


def _all_states(asl: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("States"), dict):
                found.update(node["States"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(asl)
    return found


def edited(flow: CompiledFlow, state: str, **fields: Any) -> CompiledFlow:
    """The same compiled flow with fields of one state (anywhere in the ASL) replaced.

    For engine tests that need, say, a shorter TimeoutSeconds or a Catch the example
    does not have; everything else is the compiled ASL as it deploys.
    """
    asl = json.loads(json.dumps(flow.asl))
    target = _all_states(asl).get(state)
    assert target is not None, f"no state {state} in {flow.graph.name}"
    target.update(fields)
    return dataclasses.replace(flow, asl=asl)


def with_states(flow: CompiledFlow, **states: dict[str, Any]) -> CompiledFlow:
    """The same compiled flow with top-level states added (e.g. a Catch's handler)."""
    asl = json.loads(json.dumps(flow.asl))
    asl["States"].update(states)
    return dataclasses.replace(flow, asl=asl)
