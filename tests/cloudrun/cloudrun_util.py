"""Helpers for the cloud-run tests: compile a flow, run it locally, read a run back through
the client API (local root or S3 + DynamoDB) as plain comparable values."""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

from sfn_compiler.compile import CompiledFlow, compile_flow
from sfn_compiler.graph.builder import build_graph
from sfn_compiler.graph.model import FlowGraph
from sfn_compiler.loader import load_flow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
FLOWS = Path(__file__).resolve().parent / "flows"


@functools.lru_cache(maxsize=None)
def compiled(path: str) -> tuple[FlowGraph, CompiledFlow]:
    graph = build_graph(load_flow(path))
    return graph, compile_flow(graph)


def with_inline_max(flow: CompiledFlow, limit: int) -> CompiledFlow:
    """The same flow with every foreach's inline Map limit lowered to `limit`.

    Lets a test take the Distributed Map path with a handful of items instead of the
    ~1,000 the compiler keeps inline (the runtime and the fan-out Choice both read it).
    """
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items()}
            if "inline_max" in out:
                out["inline_max"] = limit
            if out.get("Variable") == "$.fe.n" and "NumericLessThanEquals" in out:
                out["NumericLessThanEquals"] = limit
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return dataclasses.replace(flow, asl=walk(flow.asl))


def comparable(value: Any) -> Any:
    """A value that compares by content: plain records compare by their attributes.

    Tracebacks are left out: they name the folder the code ran from (the repo locally,
    the unpacked code package on Lambda), which is expected to differ.
    """
    if isinstance(value, BaseException):
        if hasattr(value, "stacktrace"):  # Metaflow's exception record: its str() is the traceback
            return ("exception", type(value).__name__, value.type, value.exception)
        return ("exception", type(value).__name__, str(value))
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [comparable(v) for v in value]
    if type(value).__eq__ is object.__eq__ and hasattr(value, "__dict__"):
        attrs = {k: comparable(v) for k, v in vars(value).items() if k != "traceback"}
        return (type(value).__qualname__, attrs)
    return value


def snapshot(flow: str, run_id: str | None = None) -> dict[str, Any]:
    """Everything a run left, read through the client API of whatever store is selected."""
    from sfnflow.client import Flow, get_stores

    run = Flow(flow)[run_id] if run_id else Flow(flow).latest_run
    assert run is not None, f"no runs of {flow}"
    metadata = get_stores().metadata
    tasks: dict[tuple[str, str], Any] = {}
    for step in run:
        for task in step:
            attempts = metadata.list_attempts(flow, run.id, step.id, task.id)
            data = ({name: comparable(getattr(task.data, name)) for name in task.artifacts}
                    if task.index_record is not None else None)
            tasks[(step.id, task.id)] = {"status": task.status, "attempts": [a.status for a in attempts],
                                         "data": data}
    run_data = None
    if run.end_task is not None:
        run_data = {name: comparable(getattr(run.data, name)) for name in dir(run.data)}
    return {"id": run.id, "status": run.status, "tasks": tasks, "run_data": run_data,
            "parameters": run.parameters, "error": run.exception}


def run_local(path: str, root: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a flow with the embedded engine and read the run back from the local store."""
    from sfnflow.client import set_root
    from sfnflow.local_run import run_locally

    graph, flow = compiled(path)
    result = run_locally(path, graph, flow, dict(parameters or {}), root=root, max_workers=2)
    set_root(result.root)
    try:
        return snapshot(graph.name, result.run_id)
    finally:
        set_root(None)


def read_cloud(cloud: Any, flow: str, run_id: str | None = None) -> dict[str, Any]:
    """Read a run back from the harness's S3 bucket and DynamoDB table through the client API."""
    from sfnflow.client import set_root, use_cloud

    use_cloud(cloud.bucket, cloud.table, cloud.prefix, s3_client=cloud.client("s3"),
              dynamodb_client=cloud.client("dynamodb"))
    try:
        return snapshot(flow, run_id)
    finally:
        set_root(None)
