"""Helpers for tests/faults (a module name no other test folder uses).

Each case starts `python -m sfnflow ...` in its own session (so signals can go to the run
and every process it started), waits on conditions read from the store, never on time,
and reads the result back through the CLI and the client.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Callable

from runtime.stores.sqlite_metadata import SqliteMetadataStore

REPO = Path(__file__).resolve().parents[2]
PATIENCE = 60.0  # generous: a loaded 2-core machine is slow, and a wait ends as soon as its condition holds

FOREACH = '''
import time
from sfnflow import FlowSpec, Parameter, step


class FanFlow(FlowSpec):
    n = Parameter("n", default=12)
    nap = Parameter("nap", default=0.2)

    @step
    def start(self):
        self.items = list(range(self.n))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        time.sleep(self.nap)
        self.v = self.input * 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.v for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        print("total", self.total)
'''


def write_flow(folder: Path, source: str, stem: str = "flow") -> Path:
    path = folder / f"faults_{stem}_{uuid.uuid4().hex[:8]}.py"
    path.write_text(textwrap.dedent(source).lstrip())
    return path


def cli_env(root: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, SFNFLOW_ROOT=str(root), PYTHONUNBUFFERED="1", **extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return env


def sfnflow(root: Path, *args: str | Path, cwd: Path | None = None, timeout: float = PATIENCE * 2,
            **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sfnflow", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd or REPO, env=cli_env(root, **env))


def start(root: Path, *args: str | Path, **env: str) -> subprocess.Popen[str]:
    """`sfnflow ARGS` in a new session: its pid is also its process group."""
    return subprocess.Popen([sys.executable, "-m", "sfnflow", *map(str, args)], env=cli_env(root, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            cwd=REPO)


def wait_until(condition: Callable[[], object], what: str, proc: subprocess.Popen[str] | None = None,
               limit: float = PATIENCE) -> object:
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def run_count(root: Path, flow: str) -> int:
    if not (root / "metadata.sqlite").exists():
        return 0
    store = SqliteMetadataStore(str(root))
    try:
        return len(store.list_runs(flow))
    except Exception:  # the file is being created by the run
        return 0
    finally:
        store.close()


def tasks_of(root: Path, flow: str, step: str | None = None, status: str | None = None, *,
             runs_before: int = 0) -> list:
    """Task records of the newest run of `flow` ([] while there is none, or while there are
    no more than `runs_before` runs: a new run has not been recorded yet)."""
    if not (root / "metadata.sqlite").exists():
        return []
    store = SqliteMetadataStore(str(root))
    try:
        runs = store.list_runs(flow)
        if len(runs) <= runs_before:
            return []
        found = store.list_tasks(flow, runs[0].run_id, step)
        return [t for t in found if status is None or t.status == status]
    except Exception:  # the file is being created by the run
        return []
    finally:
        store.close()


def finish(proc: subprocess.Popen[str], limit: float = PATIENCE) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=limit)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    return proc.returncode, out, err


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return any(_pgrp(pid) == pgid and _state(pid) != "Z" for pid in _pids())


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _stat(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _state(pid: int) -> str:
    fields = _stat(pid)
    return fields[0] if fields else "Z"


def _pgrp(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[2]) if fields else -1
