"""examples/environments.py, the flow the issue asks for: Python 3.12 and pandas 2.2.3 for the
flow, Python 3.11 and pandas 2.1.4 for `legacy`, a three-way branch after it. Run locally
twice: each step's artifacts record the Python and pandas it ran with, matching its
decorators, and the second run resolves and builds nothing."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from sfn_compiler.compile import compile_file
from sfnflow import Run, client
from sfnflow.environments.local import prepare_local
from sfnflow.environments.progress import EnvironmentProgress
from sfnflow.local_run import run_locally

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "environments.py"
pytestmark = pytest.mark.slow


def run(root: Path) -> tuple[object, str]:
    compiled = compile_file(str(EXAMPLE))
    progress = io.StringIO()
    envs = prepare_local(compiled.graph.name, compiled.model, str(root), progress=EnvironmentProgress(progress))
    return run_locally(str(EXAMPLE), compiled.graph, compiled, {}, root=str(root), max_workers=2,
                       environments=envs), progress.getvalue()


def test_each_step_runs_with_its_decorators_python_and_pandas_and_the_second_run_reuses(tmp_path: Path) -> None:
    first, built = run(tmp_path)
    assert first.status == "SUCCEEDED", first.error
    second, reused = run(tmp_path)
    assert second.status == "SUCCEEDED", second.error
    assert "Building environment py312_1" in built or "built before" in built
    assert "Resolving" not in reused and "Building" not in reused
    assert "Environments py312_1, py311_2: built before, reused" in reused
    client.set_root(str(tmp_path))
    for result in (first, second):
        data = Run(f"EnvironmentsFlow/{result.run_id}")
        for step in ("start", "a", "b", "c", "join", "end"):
            ran = data[step].task.data.ran_with
            assert ran["python"].startswith("3.12.") and ran["pandas"] == "2.2.3", (step, ran)
        legacy = data["legacy"].task.data
        assert legacy.ran_with["python"].startswith("3.11.") and legacy.ran_with["pandas"] == "2.1.4"
        assert (legacy.total, data["join"].task.data.parts) == (285, [45, 9, 10])
