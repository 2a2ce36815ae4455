"""Ctrl-C during `sfnflow run`: the run stops at once, is recorded as ABORTED, keeps what
it saved, says how to resume, and leaves no worker process behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from localrun import cli_env, write_flow

from runtime.stores.sqlite_metadata import SqliteMetadataStore
from sfnflow import Flow

FLOW = '''
import time
from sfnflow import FlowSpec, step


class SleepyFlow(FlowSpec):
    @step
    def start(self):
        self.kept = {"rows": [1, 2, 3]}
        self.next(self.nap)

    @step
    def nap(self):
        time.sleep(30)
        self.next(self.end)

    @step
    def end(self):
        pass
'''


def living_processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, process group) for every process that is not a zombie."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    state, ppid, pgrp = fh.read().rsplit(")", 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            if state != "Z":
                found[int(entry)] = (int(ppid), int(pgrp))
    return found


def descendants(pid: int) -> set[int]:
    """Every living process below `pid` (workers are forked by a zygote: grandchildren)."""
    parents = {child: ppid for child, (ppid, _pgrp) in living_processes().items()}
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def survivors(pids: set[int], group: int) -> list[int]:
    """Which of `pids`, or of the process group `group`, still live (orphans included)."""
    return sorted(pid for pid, (_ppid, pgrp) in living_processes().items() if pid in pids or pgrp == group)


def wait_for_nap(root: Path, proc: subprocess.Popen[str], limit: float = 120.0) -> None:
    """Until the second step's task is running (so the interrupt lands mid-task)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if (root / "metadata.sqlite").exists():
            store = SqliteMetadataStore(str(root))
            runs = store.list_runs("SleepyFlow")
            if runs and any(t.step == "nap" for t in store.list_tasks("SleepyFlow", runs[0].run_id)):
                store.close()
                return
            store.close()
        time.sleep(0.1)
    raise AssertionError("the nap step never started")


def test_ctrl_c_aborts_the_run_and_keeps_what_was_saved(tmp_path: Path, store_root: Path) -> None:
    flow = write_flow(tmp_path, FLOW, "sleepy")
    # Its own process group, so that the interrupt reaches every process of the run, as
    # Ctrl-C in a terminal does (the workers must ignore it; the engine handles it).
    proc = subprocess.Popen([sys.executable, "-m", "sfnflow", "run", str(flow), "--max-workers", "2"],
                            env=cli_env(store_root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        wait_for_nap(store_root, proc)
        workers = descendants(proc.pid)
        assert workers  # the zygote and its warm workers
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=120)  # a hang guard, not a speed check
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode != 0
    run = Flow("SleepyFlow").latest_run
    assert f"run SleepyFlow/{run.id} aborted" in err
    assert f"sfnflow resume {run.id}" in err
    assert "Traceback" not in err
    assert run.status == "ABORTED" and run.finished
    assert run["start"].task.data.kept == {"rows": [1, 2, 3]}
    nap = run["nap"].task
    assert nap.finished and nap.status == "FAILED" and nap.exception.type == "Aborted"
    deadline = time.monotonic() + 30  # grace for the kernel to reap them, not a speed check
    while survivors(workers, proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not survivors(workers, proc.pid), "worker processes outlived the run"


def test_ctrl_c_while_the_engine_starts_still_records_aborted(tmp_path: Path, store_root: Path) -> None:
    """The run is recorded before the engine starts (imports, the zygote's fork, moto): an
    interrupt in that window must stop the run too, and record it as ABORTED. (It used to
    hang about one time in five: a SIGINT landing in fork()'s at-fork hooks was swallowed
    there and left the logging module's lock held.)"""
    flow = write_flow(tmp_path, FLOW, "sleepy_early")
    proc = subprocess.Popen([sys.executable, "-m", "sfnflow", "run", str(flow), "--max-workers", "1"],
                            env=cli_env(store_root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120  # a hang guard
        while not (store_root / "metadata.sqlite").exists() or not SqliteMetadataStore(str(store_root)).list_runs(
                "SleepyFlow"):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=120)  # a hang guard, not a speed check
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode != 0
    run = Flow("SleepyFlow").latest_run
    assert run.status == "ABORTED", (run.status, run.exception, err)
    assert f"sfnflow resume {run.id}" in err
    deadline = time.monotonic() + 30  # grace for the kernel to reap them, not a speed check
    while survivors(set(), proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not survivors(set(), proc.pid), "processes of the run outlived it"
