"""Fixtures for the Metaflow compatibility suite: each flow in tests/compat/flows/ runs
locally through its compiled state machine, and the test compares what it computed with
what Metaflow 2.19.39 computed for the same flow (established with metaflow_reference.py,
written into each test as literals)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from sfnflow import Run, client
from sfn_compiler.compile import compile_file
from sfnflow.local_run import run_locally

FLOWS = Path(__file__).resolve().parent / "flows"
WORKERS = 2


@pytest.fixture(scope="module")
def compat_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("compat") / "store"
    client.set_root(str(root))
    yield root
    client.set_root(None)


@pytest.fixture(scope="module")
def run_compat(compat_root: Path) -> Callable[..., Run]:
    """run_compat("switch_basic", mode="skip") -> the finished Run (cached per module)."""
    done: dict[tuple[str, tuple[tuple[str, Any], ...]], Run] = {}

    def call(name: str, **parameters: Any) -> Run:
        key = (name, tuple(sorted(parameters.items())))
        if key not in done:
            path = FLOWS / f"{name}.py"
            flow = compile_file(str(path))
            result = run_locally(str(path), flow.graph, flow, parameters, root=str(compat_root),
                                 max_workers=WORKERS)
            done[key] = Run(f"{result.flow}/{result.run_id}")
        return done[key]

    return call


def task_counts(run: Run) -> dict[str, int]:
    """step -> how many tasks ran (as Metaflow's client lists them)."""
    return {step.id: len(step.tasks()) for step in run.steps()}


def end_data(run: Run, *names: str) -> dict[str, Any]:
    data = run["end"].task.data
    return {name: getattr(data, name) for name in names}


sys.path.insert(0, str(Path(__file__).resolve().parent))
