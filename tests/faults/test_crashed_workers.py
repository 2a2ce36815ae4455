"""A crashed worker is reported as what it is, on the task that crashed (issue 13, D4, D5).

os._exit, a segfault, kill -9 of a worker (what the OOM killer does): the attempt is
FAILED with the exit status or signal, what the step printed before is kept, @retry's
crashed attempt is closed, and a child the step forked neither hangs the run nor
outlives its task.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from faultrun import FOREACH, finish, sfnflow, start, tasks_of, wait_until, write_flow

from sfnflow import Flow

CRASH = '''
import ctypes, os, sys, time
from sfnflow import FlowSpec, step

HOW = os.environ["CRASH"]


class CrashFlow(FlowSpec):
    @step
    def start(self):
        self.x = 1
        self.next(self.bad)

    @step
    def bad(self):
        print("printed before the crash", flush=True)
        if HOW == "exit":
            os._exit(3)
        if HOW == "segv":
            ctypes.string_at(0)
        if HOW == "fork_then_segv":
            if os.fork() == 0:
                time.sleep(600)  # holds the worker's socket: the run must not wait for it
                os._exit(0)
            ctypes.string_at(0)
        self.next(self.end)

    @step
    def end(self):
        pass
'''


@pytest.mark.parametrize("how, said", [("exit", "exited with code 3"), ("segv", "was killed by SIGSEGV"),
                                       ("fork_then_segv", "was killed by SIGSEGV")])
def test_a_step_that_crashes_its_worker_is_recorded_with_how(tmp_path: Path, store_root: Path, how: str,
                                                             said: str) -> None:
    flow = write_flow(tmp_path, CRASH, "crash")
    result = sfnflow(store_root, "run", flow, "--max-workers", "1", CRASH=how)
    assert result.returncode == 1
    assert f"Step 'bad' (task 0, attempt 0) failed:\nWorkerCrashed: the worker process running step 'bad' " \
           f"(task 0, attempt 0) {said}." in result.stderr
    assert "Cancelled" not in result.stderr and "Traceback" not in result.stderr
    task = Flow("CrashFlow").latest_run["bad"].task
    assert task.status == "FAILED" and task.record.error["type"] == "WorkerCrashed" and said in task.record.error["message"]
    assert "printed before the crash" in task.stdout  # streamed to disk before the worker died
    assert said in task.stderr
    logs = sfnflow(store_root, "logs", f"{Flow('CrashFlow').latest_run.id}/bad")
    assert "printed before the crash" in logs.stdout


def test_kill_9_of_a_worker_blames_the_task_it_ran(tmp_path: Path, store_root: Path) -> None:
    """The OOM killer's way: SIGKILL from outside, to one worker, mid-task."""
    flow = write_flow(tmp_path, FOREACH.replace("        time.sleep(self.nap)", "        print('working', flush=True)\n"
                                                "        time.sleep(self.nap)"), "oom")
    proc = start(store_root, "run", flow, "--max-workers", "2", "--n", "6", "--nap", "30")
    running = wait_until(lambda: tasks_of(store_root, "FanFlow", "body", "RUNNING"), "a body task to run", proc)
    victim = running[0]
    pid = _worker_running(proc.pid, victim)
    os.kill(pid, signal.SIGKILL)
    code, _out, err = finish(proc)
    assert code == 1
    assert f"Step 'body' (task {victim.task_id}, attempt 0) failed:" in err
    assert "was killed by SIGKILL (out of memory?" in err
    crashed = Flow("FanFlow").latest_run["body"][victim.task_id]
    assert crashed.status == "FAILED" and crashed.record.error["type"] == "WorkerCrashed"
    others = [t for t in Flow("FanFlow").latest_run["body"] if t.id != victim.task_id]
    assert all((t.record.error or {}).get("type") != "WorkerCrashed" for t in others)


def _worker_running(engine_pid: int, task: object) -> int:
    """The pid of the worker whose stdout log is open for `task` (a worker keeps its task's log
    file open while the task runs)."""
    def find() -> int | None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fds = os.listdir(f"/proc/{entry}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink(f"/proc/{entry}/fd/{fd}")
                except OSError:
                    continue
                if target.endswith(f"/body/{task.task_id}/0.stdout"):  # type: ignore[attr-defined]
                    return int(entry)
        return None

    return wait_until(find, "the worker that runs the task")  # type: ignore[return-value]


RETRY = '''
import os
from sfnflow import FlowSpec, catch, current, retry, step


class RetryCrashFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.bad)

    @retry(times=1)
    @step
    def bad(self):
        print("attempt", current.retry_count)
        if current.retry_count == 0:
            os._exit(1)
        self.ok = True
        self.next(self.end)

    @step
    def end(self):
        pass
'''


def test_a_retried_crash_is_a_closed_failed_attempt(tmp_path: Path, store_root: Path) -> None:
    flow = write_flow(tmp_path, RETRY, "retry")
    result = sfnflow(store_root, "run", flow, "--max-workers", "1")
    assert result.returncode == 0, result.stderr
    run = Flow("RetryCrashFlow").latest_run
    from runtime.stores.sqlite_metadata import SqliteMetadataStore

    attempts = SqliteMetadataStore(str(store_root)).list_attempts("RetryCrashFlow", run.id, "bad", "0")
    assert [a.status for a in attempts] == ["FAILED", "SUCCEEDED"]  # attempt 0 used to stay RUNNING forever
    assert attempts[0].finished_at is not None and "exited with code 1" in attempts[0].error["message"]
    assert not SqliteMetadataStore(str(store_root)).running_attempts("RetryCrashFlow", run.id)


CHILD = '''
import subprocess
from sfnflow import FlowSpec, step


class ChildFlow(FlowSpec):
    @step
    def start(self):
        self.child = subprocess.Popen(["sleep", "600"]).pid  # outlives the step unless ended with it
        self.next(self.end)

    @step
    def end(self):
        pass
'''


def test_a_child_a_finished_step_left_running_is_ended_with_its_task(tmp_path: Path, store_root: Path) -> None:
    flow = write_flow(tmp_path, CHILD, "child")
    result = sfnflow(store_root, "run", flow, "--max-workers", "1")
    assert result.returncode == 0, result.stderr
    child = Flow("ChildFlow").latest_run["start"].task.data.child
    wait_until(lambda: not _alive(child), f"the step's child {child} to be ended")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
