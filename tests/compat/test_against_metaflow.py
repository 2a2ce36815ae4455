"""The compat flows run under Metaflow 2.19 itself and under sfnflow, compared live: the same
steps, the same number of tasks per step, the same artifacts in them (by repr, task ids set
aside since sfnflow's are positions), the same success per task.

This re-establishes, on each CI run, the literal expectations the other tests hold
(tests/compat/metaflow_reference.py runs Metaflow). Flows whose results differ on purpose
(join order after a switch, exception types) are compared in their own tests instead.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from compatrun import FLOWS
from metaflow_reference import run as run_metaflow

from sfnflow import Flow, client

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]

CASES = [
    ("switch_basic", []), ("switch_in_branch", []), ("foreach_in_switch", []),
    ("foreach_in_switch", ["--mode", "skip"]), ("branch_in_switch", []), ("switch_nested", []),
    ("recursive_switch", []), ("recursive_switch_inside_foreach", []), ("parallel_flow", []),
    ("merge_errors", []), ("failure_artifacts", []), ("include_flow", []),
]


def _flow_class(name: str) -> str:
    for line in (FLOWS / f"{name}.py").read_text().splitlines():
        if line.startswith("class ") and "FlowSpec" in line:
            return line.split()[1].split("(")[0]
    raise AssertionError(name)


def _sfnflow_summary(tmp_path: Path, name: str, args: list[str]) -> dict[str, Any]:
    env = dict(os.environ, SFNFLOW_ROOT=str(tmp_path / "store"), PYTHONPATH=str(REPO), USERNAME="compat")
    done = subprocess.run([sys.executable, str(FLOWS / f"{name}.py"), "run", *args], cwd=FLOWS, env=env,
                          capture_output=True, text=True, timeout=300)
    client.set_root(str(tmp_path / "store"))
    run = Flow(_flow_class(name)).latest_run
    steps = {}
    for step in run:
        tasks = {}
        for task in step:
            data = task.data if (task.index_record is not None) else None
            arts = {a: repr(getattr(data, a)) for a in (task.artifacts if data is not None else [])
                    if not a.startswith("_")}
            arts["<successful>"] = task.successful
            tasks[task.id] = arts
        steps[step.id] = tasks
    return {"successful": run.successful, "steps": steps, "exit_code": done.returncode}


def _comparable(summary: dict[str, Any]) -> dict[str, Any]:
    """Per step: the sorted artifact dicts of its tasks (task ids differ by design)."""
    return {step: sorted(sorted(task.items()) for task in tasks.values())
            for step, tasks in summary["steps"].items()}


@pytest.mark.parametrize("name, args", CASES, ids=[f"{n}{'-' + '-'.join(a) if a else ''}" for n, a in CASES])
def test_sfnflow_gives_what_metaflow_gives(tmp_path: Path, name: str, args: list[str]) -> None:
    theirs = run_metaflow(name, args)
    assert "steps" in theirs, theirs
    for tasks in theirs["steps"].values():
        for arts in tasks.values():
            arts.pop("<attempt>", None)
            arts.pop("<exception>", None)
    ours = _sfnflow_summary(tmp_path, name, args)
    assert ours["successful"] == theirs["successful"]
    assert (ours["exit_code"] == 0) == (theirs["exit_code"] == 0)
    assert _comparable(ours) == _comparable(theirs)
