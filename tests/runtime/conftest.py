"""Fixtures for runtime tests: small flows written to tmp dirs, local stores, and a tiny
test-only driver that walks a flow's graph in order, calling run_task in-process the way
the state machine would (retries, catch, foreach items inline or from the store)."""
from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

from runtime.errors import UserCodeError
from runtime.stores import local_stores
from runtime.task import FlowCache, TaskEnvironment, run_task
from sfn_compiler.contract.envelope import MODE_CATCH, TaskEnvelope, foreach_items_key

HEADER = "from sfnflow import FlowSpec, Parameter, JSONType, step, retry, catch, current, environment\n"

SHAPES: dict[str, str] = {
    "linear": """
        class LinearFlow(FlowSpec):
            @step
            def start(self):
                self.x = 1
                self.big = list(range(1000))
                print("hello from start")
                self.next(self.middle)

            @step
            def middle(self):
                self.x += 1
                self.next(self.end)

            @step
            def end(self):
                self.total = self.x + len(self.big)
    """,
    "branch": """
        class BranchFlow(FlowSpec):
            @step
            def start(self):
                self.common = "c"
                self.next(self.a, self.b)

            @step
            def a(self):
                self.v = "a"
                self.only_a = 1
                self.next(self.join)

            @step
            def b(self):
                self.v = "b"
                self.next(self.join)

            @step
            def join(self, inputs):
                self.vs = sorted(i.v for i in inputs)
                self.from_a = inputs.a.v
                self.merge_artifacts(inputs, exclude=["v"])
                self.next(self.end)

            @step
            def end(self):
                self.result = (self.vs, self.common, self.only_a)
    """,
    "foreach": """
        class ForeachFlow(FlowSpec):
            n = Parameter("n", default=3)

            @step
            def start(self):
                self.items = list(range(self.n))
                self.next(self.body, foreach="items")

            @step
            def body(self):
                self.sq = self.input * self.input
                self.idx = self.index
                self.next(self.join)

            @step
            def join(self, inputs):
                self.sqs = [i.sq for i in inputs]
                self.idxs = [i.idx for i in inputs]
                self.next(self.end)

            @step
            def end(self):
                self.total = sum(self.sqs)
    """,
    "nested_foreach": """
        class NestedForeachFlow(FlowSpec):
            @step
            def start(self):
                self.outer = ["a", "b"]
                self.next(self.mid, foreach="outer")

            @step
            def mid(self):
                self.letter = self.input
                self.inner = [1, 2, 3]
                self.next(self.leaf, foreach="inner")

            @step
            def leaf(self):
                self.pair = (self.letter, self.input, [f[0] for f in self.foreach_stack()])
                self.next(self.inner_join)

            @step
            def inner_join(self, inputs):
                self.pairs = [i.pair for i in inputs]
                self.next(self.outer_join)

            @step
            def outer_join(self, inputs):
                self.all = [p for i in inputs for p in i.pairs]
                self.next(self.end)

            @step
            def end(self):
                pass
    """,
    "branch_in_foreach": """
        class BranchInForeachFlow(FlowSpec):
            @step
            def start(self):
                self.items = [10, 20]
                self.next(self.fan, foreach="items")

            @step
            def fan(self):
                self.base = self.input
                self.next(self.left, self.right)

            @step
            def left(self):
                self.v = self.base + 1
                self.seen = self.input
                self.next(self.bjoin)

            @step
            def right(self):
                self.v = self.base + 2
                self.next(self.bjoin)

            @step
            def bjoin(self, inputs):
                self.s = sum(i.v for i in inputs)
                self.next(self.fjoin)

            @step
            def fjoin(self, inputs):
                self.sums = [i.s for i in inputs]
                self.next(self.end)

            @step
            def end(self):
                pass
    """,
    "foreach_in_branch": """
        class ForeachInBranchFlow(FlowSpec):
            @step
            def start(self):
                self.next(self.fe, self.plain)

            @step
            def fe(self):
                self.xs = [1, 2, 3]
                self.next(self.body, foreach="xs")

            @step
            def body(self):
                self.y = self.input * 10
                self.next(self.fjoin)

            @step
            def fjoin(self, inputs):
                self.ys = [i.y for i in inputs]
                self.next(self.join)

            @step
            def plain(self):
                self.ys = []
                self.p = "plain"
                self.next(self.join)

            @step
            def join(self, inputs):
                self.ys = inputs.fjoin.ys
                self.p = inputs.plain.p
                self.next(self.end)

            @step
            def end(self):
                pass
    """,
    "retry": """
        class RetryFlow(FlowSpec):
            @step
            def start(self):
                self.next(self.flaky)

            @retry(times=2)
            @step
            def flaky(self):
                if current.retry_count < 2:
                    raise RuntimeError("not yet")
                self.tries = current.retry_count
                self.next(self.end)

            @step
            def end(self):
                pass
    """,
    "catch": """
        class CatchFlow(FlowSpec):
            @step
            def start(self):
                self.keep = "kept"
                self.next(self.boom)

            @catch(var="failure")
            @step
            def boom(self):
                self.partial = 1
                raise ValueError("bad input 42")
                self.next(self.end)

            @step
            def end(self):
                self.got = (self.keep, self.failure.type, self.failure.exception)
    """,
    "parameters": """
        class ParametersFlow(FlowSpec):
            alpha = Parameter("alpha", default=0.5, help="rate")
            count = Parameter("count", type=int, required=True)
            conf = Parameter("conf", type=JSONType, default='{"k": 1}')
            label = Parameter("label", default=lambda ctx: "lbl-" + ctx.parameter_name)

            @step
            def start(self):
                self.seen = (self.alpha, self.count, self.conf, self.label)
                self.next(self.end)

            @step
            def end(self):
                self.again = self.alpha * self.count
    """,
}


def write_flow(folder: Path, shape: str, source: str | None = None) -> Path:
    """Write a shape's flow under a module name that cannot shadow anything real."""
    path = folder / f"rtflow_{shape}_{uuid.uuid4().hex[:8]}.py"
    path.write_text(HEADER + textwrap.dedent(source if source is not None else SHAPES[shape]))
    return path


class Driver:
    """Walks a flow graph like the compiled state machine would, one run_task at a time."""

    def __init__(self, env: TaskEnvironment, inline_max: int = 100) -> None:
        self.env = env
        self.inline_max = inline_max
        self.plan = env.cache.get(env.flow_file).plan
        self.calls: list[tuple[str, str, int]] = []

    def run(self, run_id: str | None = None, parameters: dict[str, Any] | None = None) -> str:
        run_id = run_id or f"run-{uuid.uuid4().hex[:8]}"
        self._walk(run_id, "start", "0", None, parameters or {})
        return run_id

    def _walk(self, run: str, step: str, task: str, stop_at: str | None, parameters: dict[str, Any]) -> None:
        graph = self.plan.graph
        while True:
            node = graph[step]
            result = self.task(run, step, task, parameters if step == "start" else None)
            if node.kind.value == "end":
                return
            if node.is_foreach:
                items = result.get("items")
                if items is None and "n" in result:
                    items = self.env.artifacts.get_json(foreach_items_key(graph.name, run, step, task))
                for child in items or []:
                    self._walk(run, node.out_edges[0], child, node.matching_join, parameters)
                step = node.matching_join if items is not None else node.out_edges[0]
                continue
            if node.is_switch:
                # The switch's result is the next state: its case and the next task id.
                step = next(t for k, t in node.switch_cases if k == result["case"] and type(k) is type(result["case"]))
                task = result["p"]
                if step == stop_at:
                    return
                continue
            if node.is_split:
                for branch in node.out_edges:
                    self._walk(run, branch, task, node.matching_join, parameters)
                step = node.matching_join
                continue
            if node.out_edges[0] == stop_at:
                return
            # Entering a nested loop appends its first iteration to the id (the ASL's `<head>.loop` Pass).
            step, task = node.out_edges[0], self.plan.positions.next_task(node, task, node.out_edges[0])

    def task(self, run: str, step: str, task: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        node = self.plan.graph[step]
        retry = node.decorator("retry")
        times = retry.times if retry is not None else 0
        attempt = 0
        while True:
            envelope = TaskEnvelope(flow=self.plan.graph.name, step=step, run=run, task=task, attempt=attempt,
                                    parameters=parameters, inline_max=self.inline_max)
            self.calls.append((step, task, attempt))
            try:
                return run_task(envelope, self.env)
            except UserCodeError as exc:
                if attempt < times:
                    attempt += 1
                    continue
                if node.decorator("catch") is None:
                    raise
                cause = json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)})
                catch = TaskEnvelope(flow=self.plan.graph.name, step=step, run=run, task=task, mode=MODE_CATCH,
                                     parameters=parameters, error={"Error": "UserCodeError", "Cause": cause})
                return run_task(catch, self.env)


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    return tmp_path / ".sfnflow"


@pytest.fixture
def make_env(tmp_path: Path, store_root: Path) -> Callable[..., TaskEnvironment]:
    """make_env(shape | path, source=None) -> a TaskEnvironment over fresh local stores."""
    cache = FlowCache()

    def make(shape_or_path: str | Path, source: str | None = None, **kwargs: Any) -> TaskEnvironment:
        path = Path(shape_or_path) if str(shape_or_path).endswith(".py") else write_flow(tmp_path, str(shape_or_path), source)
        artifacts, metadata = local_stores(str(store_root))
        return TaskEnvironment(flow_file=str(path), artifacts=artifacts, metadata=metadata, cache=cache, **kwargs)

    return make


@pytest.fixture
def drive() -> Callable[..., Driver]:
    return Driver


def read_artifact(env: TaskEnvironment, run: str, step: str, task: str, name: str) -> Any:
    """Load one artifact of a finished task (what the client API will do)."""
    flow = env.cache.get(env.flow_file).plan.graph.name
    index = env.artifacts.get_index(flow, run, step, task)
    assert index is not None, f"{flow}/{run}/{step}/{task} has no index"
    return env.artifacts.load(flow, index.artifacts[name])


@pytest.fixture
def artifact() -> Callable[..., Any]:
    return read_artifact
