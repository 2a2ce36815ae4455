"""Helpers for end-to-end local runs (imported by tests/local/*: a name no other test folder uses).

`run_flow(...)` calls sfnflow.local_run.run_locally in this process (what the CLI calls);
`cli_env(root)` is the environment for `python -m sfnflow ...` in a child process.
"""
from __future__ import annotations

import os
import textwrap
import uuid
from pathlib import Path
from typing import Any

from sfn_compiler.compile import compile_file
from sfnflow.local_run import LocalRunResult, run_locally

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
INVALID = REPO / "tests" / "invalid"
WORKERS = 2  # CI machines have 2 cores; more workers would only compete for them


def run_flow(path: str | Path, root: str | Path, parameters: dict[str, Any] | None = None,
             **kwargs: Any) -> LocalRunResult:
    """Load, check, compile and run a flow file locally, as `sfnflow run` does."""
    flow = compile_file(str(path))
    return run_locally(str(path), flow.graph, flow, dict(parameters or {}), root=str(root),
                       max_workers=kwargs.pop("max_workers", WORKERS), **kwargs)


def write_flow(folder: Path, source: str, stem: str = "flow") -> Path:
    """Write a flow file under a unique module name (flows are imported by file name)."""
    path = folder / f"local_{stem}_{uuid.uuid4().hex[:8]}.py"
    path.write_text(textwrap.dedent(source).lstrip())
    return path


def cli_env(root: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, SFNFLOW_ROOT=str(root), PYTHONUNBUFFERED="1", **extra)
    # The child must find this checkout's packages even when it runs from another folder.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return env
