"""Ctrl-C always ends cleanly: no traceback, exit 130, the run ABORTED, every attempt closed
(issue 13, D2). One try in five used to end with `OSError: [Errno 9] Bad file descriptor`
from WorkerPool.close (a worker's connection closed twice, from two threads) and a FAILED
record."""
from __future__ import annotations

import os
import signal
from pathlib import Path

from faultrun import FOREACH, finish, run_count, start, tasks_of, wait_until, write_flow

from sfnflow import Flow


def _one_ctrl_c(tmp_path: Path, root: Path, flow: Path) -> None:
    before = run_count(root, "FanFlow")
    proc = start(root, "run", flow, "--max-workers", "2", "--n", "6", "--nap", "0.3")
    wait_until(lambda: tasks_of(root, "FanFlow", "body", runs_before=before), "a body task to start", proc)
    os.killpg(proc.pid, signal.SIGINT)
    code, _out, err = finish(proc)
    assert code == 130 and "Traceback" not in err and "aborted" in err, (code, err)
    runs = Flow("FanFlow").runs()
    assert runs[0].status == "ABORTED", (runs[0].status, runs[0].exception, err)
    assert not [t for t in tasks_of(root, "FanFlow") if t.status == "RUNNING"]


def test_ctrl_c_always_ends_cleanly(tmp_path: Path, store_root: Path) -> None:
    """20 tries, each interrupted while the foreach runs: one in five used to end with
    `OSError: [Errno 9] Bad file descriptor` from WorkerPool.close and a FAILED record.
    (About 10 s on 2 cores: in the default run.)"""
    flow = write_flow(tmp_path, FOREACH, "ctrlc")
    for _ in range(20):
        _one_ctrl_c(tmp_path, store_root, flow)
    assert len(Flow("FanFlow").runs()) == 20
