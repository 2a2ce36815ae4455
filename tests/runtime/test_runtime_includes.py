"""IncludeFile content stored by the launcher (a run on AWS: the start step is far from the
file) reads back as the same artifact as a locally read file."""
from __future__ import annotations

from pathlib import Path

import pytest

from runtime.task import run_task
from sfn_compiler.contract.envelope import TaskEnvelope
from sfn_compiler.diagnostics import SfnflowError
from sfnflow.includes import store_includes

SOURCE = """
    from sfnflow import IncludeFile

    class IncludeRuntimeFlow(FlowSpec):
        data = IncludeFile("data", default="nearby.txt")
        raw = IncludeFile("raw", is_text=False, required=False)

        @step
        def start(self):
            self.got = (self.data, self.raw)
            self.next(self.end)

        @step
        def end(self):
            pass
"""


def test_content_stored_at_launch_is_the_artifact(make_env, artifact, tmp_path: Path) -> None:
    env = make_env("include", SOURCE)
    given = tmp_path / "given.txt"
    given.write_text("from the laptop")
    specs = env.cache.get(env.flow_file).plan.graph.parameters
    parameters = store_includes(specs, {"data": str(given), "raw": str(given)}, env.artifacts, "IncludeRuntimeFlow")
    assert set(parameters["data"]) == {"sfnflow_include", "path"}
    given.unlink()  # the start step no longer needs the file
    run_task(TaskEnvelope(flow="IncludeRuntimeFlow", step="start", run="i1", task="0",
                          parameters={"parameters": parameters}), env)
    assert artifact(env, "i1", "start", "0", "got") == ("from the laptop", b"from the laptop")


def test_the_default_is_read_beside_the_flow_file(make_env, artifact) -> None:
    env = make_env("include", SOURCE)
    (Path(env.flow_file).parent / "nearby.txt").write_text("beside the flow")
    run_task(TaskEnvelope(flow="IncludeRuntimeFlow", step="start", run="i2", task="0", parameters={}), env)
    assert artifact(env, "i2", "start", "0", "got") == ("beside the flow", None)


def test_a_missing_file_at_launch_is_one_sentence(make_env, tmp_path: Path) -> None:
    env = make_env("include", SOURCE)
    specs = env.cache.get(env.flow_file).plan.graph.parameters
    with pytest.raises(SfnflowError, match="IncludeFile 'data': cannot read .*nope.txt"):
        store_includes(specs, {"data": str(tmp_path / "nope.txt")}, env.artifacts, "IncludeRuntimeFlow")
