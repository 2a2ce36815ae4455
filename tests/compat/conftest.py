"""Fixtures for the Metaflow compatibility suite: each flow in tests/compat/flows/ runs
locally through its compiled state machine, and the test compares what it computed with
what Metaflow 2.19.39 computed for the same flow (established with metaflow_reference.py,
written into each test as literals)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from sfnflow import Run, client
from sfn_compiler.compile import compile_file
from sfnflow.local_run import run_locally

from compatrun import FLOWS, WORKERS


@pytest.fixture(scope="module")
def compat_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compat") / "store"


@pytest.fixture(scope="module")
def run_compat(compat_root: Path) -> Callable[..., Run]:
    """run_compat("switch_basic", mode="skip") -> the finished Run (cached per module)."""
    done: dict[tuple[str, tuple[tuple[str, Any], ...]], Run] = {}

    def call(name: str, **parameters: Any) -> Run:
        # The client reads this module's store (tests/conftest.py resets it after each test).
        client.set_root(str(compat_root))
        key = (name, tuple(sorted(parameters.items())))
        if key not in done:
            path = FLOWS / f"{name}.py"
            flow = compile_file(str(path))
            result = run_locally(str(path), flow.graph, flow, parameters, root=str(compat_root),
                                 max_workers=WORKERS)
            done[key] = Run(f"{result.flow}/{result.run_id}")
        return done[key]

    return call
