"""Every flow in examples/ runs to its end step through run_task (driven in-process)."""
from __future__ import annotations

from pathlib import Path

import pytest

from runtime.stores import ATTEMPT_CAUGHT, ATTEMPT_SUCCEEDED
from sfn_compiler.environments import step_environments
from sfn_compiler.graph.builder import build_graph
from sfn_compiler.loader import load_flow

# This driver runs every step in the test's own interpreter, so a flow whose steps ask
# for their own Python and packages (@pypi) is left to tests/envs/, which runs it in them.
EXAMPLES = [p for p in sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.py"))
            if not step_environments(build_graph(load_flow(str(p))))]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_to_the_end(path, make_env, drive):
    env = make_env(str(path))
    driver = drive(env, inline_max=40)
    run = driver.run()
    flow = driver.plan.graph.name
    tasks = env.metadata.list_tasks(flow, run)
    assert {t.status for t in tasks} <= {ATTEMPT_SUCCEEDED, ATTEMPT_CAUGHT}
    assert env.artifacts.get_index(flow, run, "end", "0") is not None
    ran = {step for step, _task, _attempt in driver.calls}
    # A switch runs one of its cases: here the steps of the cases not taken are skipped.
    skipped = {"switch": {"score_all"}}.get(path.stem, set())
    assert ran == {node.name for node in driver.plan.graph} - skipped


def test_catch_example_stores_the_failure(make_env, drive, artifact):
    env = make_env(str(next(p for p in EXAMPLES if p.stem == "catch")))
    run = drive(env).run()
    failure = artifact(env, run, "divide", "0", "failure")
    assert failure.type == "builtins.ZeroDivisionError"
    assert env.artifacts.get_log("CatchFlow", run, "end", "0", 0, "stdout") == (
        b"caught: builtins.ZeroDivisionError - division by zero\n")
