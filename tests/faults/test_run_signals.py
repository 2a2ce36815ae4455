"""No run stays RUNNING after its process is gone (issue 13, D1, D2, D8).

SIGTERM and SIGHUP stop a run as Ctrl-C does (ABORTED, saved work kept, exit 128 + the
signal); after kill -9 the run's owner is gone, so readers report ABORTED and resume
continues it; a live run is not resumed unless forced; Ctrl-C always ends cleanly and
resume then reuses the foreach tasks that finished.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from faultrun import FOREACH, finish, group_alive, sfnflow, start, tasks_of, wait_until, write_flow

from sfnflow import Flow


def _start_fan(tmp_path: Path, store_root: Path, n: int = 12, nap: float = 0.3):
    flow = write_flow(tmp_path, FOREACH, "fan")
    proc = start(store_root, "run", flow, "--max-workers", "2", "--n", str(n), "--nap", str(nap))
    wait_until(lambda: tasks_of(store_root, "FanFlow", "body", "SUCCEEDED"), "a body task finished", proc)
    return flow, proc


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_stop_the_run_like_ctrl_c(tmp_path: Path, store_root: Path, sig: int) -> None:
    _flow, proc = _start_fan(tmp_path, store_root)
    os.kill(proc.pid, sig)  # to the CLI only, as `timeout`, CI runners and `docker stop` do
    code, _out, err = finish(proc)
    assert code == 128 + sig, err
    assert f"aborted by {signal.Signals(sig).name}" in err and "sfnflow resume" in err
    assert "Traceback" not in err
    run = Flow("FanFlow").latest_run
    assert run.status == "ABORTED" and run.finished and run.finished_at is not None
    assert not [t for t in tasks_of(store_root, "FanFlow") if t.status == "RUNNING"]  # every attempt closed
    wait_until(lambda: not group_alive(proc.pid), "the run's processes to exit")


def test_a_run_killed_with_sigkill_reads_as_aborted_and_resumes(tmp_path: Path, store_root: Path) -> None:
    _flow, proc = _start_fan(tmp_path, store_root)
    os.killpg(proc.pid, signal.SIGKILL)
    finish(proc)
    run = Flow("FanFlow").latest_run
    assert run.status == "ABORTED" and run.finished  # today: RUNNING forever
    assert "is gone" in run.exception["message"]
    listed = sfnflow(store_root, "runs", "FanFlow")
    assert f"{run.id}" in listed.stdout and "ABORTED" in listed.stdout and "RUNNING" not in listed.stdout
    finished = {t.id for t in run["body"] if t.status == "SUCCEEDED"}

    resumed = sfnflow(store_root, "resume", run.id, "--max-workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert "was left RUNNING" in resumed.stderr and "Recorded as ABORTED" in resumed.stderr
    new = Flow("FanFlow").latest_run
    assert new.data.total == sum(i * 2 for i in range(12))
    assert {t.id for t in new["body"] if t.status == "REUSED"} == finished
    assert Flow("FanFlow")[run.id].status == "ABORTED"  # now written down, not only inferred


def test_resuming_a_run_that_is_still_running_is_refused_unless_forced(tmp_path: Path, store_root: Path) -> None:
    _flow, proc = _start_fan(tmp_path, store_root, n=40, nap=0.3)
    try:
        run = Flow("FanFlow").latest_run
        refused = sfnflow(store_root, "resume", run.id)
        assert refused.returncode == 1
        assert "still running" in refused.stderr and "--force" in refused.stderr
        assert "Traceback" not in refused.stderr
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        finish(proc)


def test_resume_after_ctrl_c_reuses_the_foreach_tasks_that_finished(tmp_path: Path, store_root: Path) -> None:
    _flow, proc = _start_fan(tmp_path, store_root)
    wait_until(lambda: len(tasks_of(store_root, "FanFlow", "body", "SUCCEEDED")) >= 3, "three body tasks", proc)
    os.killpg(proc.pid, signal.SIGINT)
    code, _out, err = finish(proc)
    assert code == 130, err
    run = Flow("FanFlow").latest_run
    finished = {t.id for t in run["body"] if t.status == "SUCCEEDED"}
    assert finished

    resumed = sfnflow(store_root, "resume", run.id, "--max-workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    new = Flow("FanFlow").latest_run
    assert {t.id for t in new["body"] if t.status == "REUSED"} == finished  # today: the whole step reran
    assert new.data.total == sum(i * 2 for i in range(12))


def test_kill_9_of_the_run_leaves_no_worker_behind(tmp_path: Path, store_root: Path) -> None:
    """Workers lead their own process groups (so a step's children end with them), so the
    signal to the run's group does not reach them: they must still end with the run, even
    in the middle of a task that would run for ten minutes."""
    flow = write_flow(tmp_path, FOREACH, "orphans")
    proc = start(store_root, "run", flow, "--max-workers", "2", "--n", "4", "--nap", "600")
    wait_until(lambda: len(tasks_of(store_root, "FanFlow", "body", "RUNNING")) == 2, "two body tasks", proc)
    below = _descendants(proc.pid)
    assert len(below) >= 3  # the zygote and two workers at least
    os.killpg(proc.pid, signal.SIGKILL)
    finish(proc)
    wait_until(lambda: not [pid for pid in below if _alive(pid)], "every process of the run to end")


def _descendants(pid: int) -> set[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
