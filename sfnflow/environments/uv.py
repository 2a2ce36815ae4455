"""Running `uv` (https://docs.astral.sh/uv/, a PyPI package sfnflow depends on): the resolver
and installer of step environments.

uv is told never to download a Python (environments are built from interpreters on the
machine) and to keep its usual package cache, so rebuilding an environment that was
built once before is a copy from the cache, not a download.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Sequence

from sfn_compiler.diagnostics import SfnflowError

__all__ = ["UvFailed", "UvMissing", "run_uv", "uv_binary"]


class UvMissing(SfnflowError):
    pass


class UvFailed(Exception):
    """uv exited non-zero; `stderr` holds its explanation."""

    def __init__(self, args: Sequence[str], stderr: str) -> None:
        super().__init__(f"uv {' '.join(args[:2])} failed: {stderr.strip()[-2000:]}")
        self.args_, self.stderr = list(args), stderr


def uv_binary() -> str:
    """The uv executable: the `uv` package's own, else one on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return found
    raise UvMissing("step environments (@pypi/@conda) need uv, which is not installed; "
                    "install it with: pip install uv")


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
    env.update({"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1", "NO_COLOR": "1"})
    env.pop("PYTHONPATH", None)  # the host's paths must not leak into another interpreter's install
    return env


def run_uv(args: Sequence[str], *, stdin: str | None = None, timeout: float = 1800) -> str:
    """Run `uv <args>`; return its stdout. Raises UvFailed with uv's stderr."""
    proc = subprocess.run([uv_binary(), *args], input=stdin, capture_output=True, text=True,
                          env=_environment(), timeout=timeout)
    if proc.returncode != 0:
        raise UvFailed(list(args), proc.stderr)
    return proc.stdout
