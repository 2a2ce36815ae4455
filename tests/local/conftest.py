"""Fixtures for end-to-end local runs: real runs through the embedded engine (compiled ASL,
moto's interpreter, warm workers), each test against its own store root, read back
through the client API. Helpers live in localrun.py.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pytest
from localrun import REPO, cli_env

from sfnflow import client


@pytest.fixture
def store_root(tmp_path: Path) -> Iterator[Path]:
    """A fresh store root that the client reads; the client forgets it afterwards."""
    root = tmp_path / "store"
    client.set_root(str(root))
    yield root
    client.set_root(None)


@pytest.fixture
def sfnflow(store_root: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """sfnflow("run", "flow.py", ...) -> the finished `python -m sfnflow ...` process."""

    def call(*args: str | Path, timeout: float = 60, cwd: Path | None = None,
             env: dict[str, str] | None = None, python_file: bool = False) -> subprocess.CompletedProcess[str]:
        argv: Sequence[str] = [str(a) for a in args]
        command = [sys.executable, *argv] if python_file else [sys.executable, "-m", "sfnflow", *argv]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd or REPO,
                              env=env or cli_env(store_root))

    return call
