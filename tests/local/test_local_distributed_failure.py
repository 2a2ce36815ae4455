"""A foreach body that raises for one item, fanned out by a Distributed Map: the run fails
there (States.ExceedToleratedFailureThreshold, as in AWS), not later at the join, and the
user sees their own step's error and traceback."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from localrun import WORKERS, write_flow

from sfnflow import client
from sfn_compiler.compile import compile_file
from sfnflow.local_run import run_locally

THRESHOLD = "States.ExceedToleratedFailureThreshold"
FLOW = """
from sfnflow import FlowSpec, step


class DistFailFlow(FlowSpec):
    @step
    def start(self):
        self.items = list(range(6))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        if self.input == 3:
            raise ValueError(f"item {self.input} is bad")
        self.doubled = self.input * 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.doubled for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass
"""


def _with_inline_max(compiled: Any, limit: int) -> Any:
    """The compiled flow with its foreach's inline limit lowered (as tests/cloudrun does):
    6 items then take the Distributed Map path instead of the ~1,000 the compiler keeps inline."""
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

    return dataclasses.replace(compiled, asl=walk(compiled.asl))


def test_failing_item_fails_the_run_at_its_step(tmp_path: Path, store_root: Path) -> None:
    path = write_flow(tmp_path, FLOW)
    checked = compile_file(str(path))
    compiled = _with_inline_max(checked, 2)
    events: list[tuple[str, str, str]] = []
    result = run_locally(str(path), checked.graph, compiled, {}, root=str(store_root), max_workers=WORKERS,
                         on_event=lambda kind, step, task, **info: events.append((kind, step, task)))
    assert ("failed", "body", "3") in events
    assert result.status == "FAILED"
    assert result.error["type"] == THRESHOLD
    assert result.error["message"].startswith("UserCodeError: step 'body' failed: ValueError: item 3 is bad")
    assert (result.error["step"], result.error["task"]) == ("body", "3")
    assert not any(step == "join" for _, step, _ in events)  # no confusing join error

    run = client.Flow("DistFailFlow").latest_run
    assert run.status == "FAILED" and run.exception["type"] == THRESHOLD
    by_id = {t.id: t for t in run["body"].tasks()}
    failed = by_id["3"]
    assert failed.status == "FAILED"
    assert failed.exception.type == "builtins.ValueError" and failed.exception.exception == "item 3 is bad"
    assert "raise ValueError" in failed.exception.stacktrace
    assert "join" not in run


def test_cli_summary_shows_the_users_traceback(sfnflow, tmp_path: Path) -> None:
    """`sfnflow run --with batch`: a Batch foreach always fans out through the Distributed Map."""
    path = write_flow(tmp_path, FLOW)
    done = sfnflow("run", path, "--with", "batch", "--max-workers", "2")
    assert done.returncode == 1, done.stderr
    summary = done.stderr[done.stderr.index("Step 'body' (task 3, attempt 0) failed:"):]
    assert "Traceback" in summary and 'raise ValueError(f"item {self.input} is bad")' in summary
    assert "ValueError: item 3 is bad" in summary
    # The run stopped at the Map: the join never ran (it used to, and failed with a
    # confusing PlatformError: "input task ... has no index").
    # (Siblings still running when the Map failed are stopped, and listed as failed after it.)
    assert "join/" not in done.stderr
    assert "Run DistFailFlow/" in summary and "failed after" in summary
