"""Local runs at width and side by side: a 2,000-way foreach keeps every state small, and
two runs of one flow started together into one store neither fail nor mix."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from localrun import cli_env, run_flow, write_flow

from sfnflow import Flow, Run

WIDE = '''
from sfnflow import FlowSpec, Parameter, step


class WideFlow(FlowSpec):
    width = Parameter("width", default=2000)

    @step
    def start(self):
        self.items = list(range(self.width))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.value = self.input * 3
        self.next(self.join)

    @step
    def join(self, inputs):
        values = [i.value for i in inputs]
        self.count = len(values)
        self.total = sum(values)
        self.next(self.end)

    @step
    def end(self):
        pass
'''

TWINS = '''
import time
from sfnflow import FlowSpec, Parameter, step


class TwinFlow(FlowSpec):
    label = Parameter("label", default="none")

    @step
    def start(self):
        self.parts = [f"{self.label}-{i}" for i in range(8)]
        self.next(self.body, foreach="parts")

    @step
    def body(self):
        time.sleep(0.05)  # keep both runs' tasks in flight at the same time
        self.tagged = self.input.upper()
        self.next(self.join)

    @step
    def join(self, inputs):
        self.all = [i.tagged for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        print(self.label)
'''

STATE_LIMIT = 8 * 1024


@pytest.mark.slow  # about 4 s alone on 2 cores; twice that when the machine is busy
def test_two_thousand_way_foreach_keeps_states_small(tmp_path: Path, store_root: Path) -> None:
    result = run_flow(write_flow(tmp_path, WIDE, "wide"), store_root)
    assert result.status == "SUCCEEDED", result.error
    assert result.tasks == 2000 + 3  # start, 2,000 bodies, join, end
    assert 0 < result.max_state_bytes <= STATE_LIMIT
    run = Run(f"WideFlow/{result.run_id}")
    assert run.data.count == 2000  # the join saw every input
    assert run.data.total == 3 * sum(range(2000))
    assert len(run["body"].tasks()) == 2000


def test_small_foreach_measures_state_size_too(tmp_path: Path, store_root: Path) -> None:
    result = run_flow(write_flow(tmp_path, WIDE, "narrow"), store_root, {"width": 5})
    assert result.status == "SUCCEEDED", result.error
    assert result.tasks == 5 + 3
    assert 0 < result.max_state_bytes <= STATE_LIMIT


def test_two_runs_at_once_into_one_store(tmp_path: Path, store_root: Path) -> None:
    flow = write_flow(tmp_path, TWINS, "twins")
    procs = {label: subprocess.Popen([sys.executable, "-m", "sfnflow", "run", str(flow), "--label", label,
                                      "--max-workers", "2"], env=cli_env(store_root), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
             for label in ("left", "right")}
    finished = {label: proc.communicate(timeout=60) for label, proc in procs.items()}
    for label, proc in procs.items():
        assert proc.returncode == 0, finished[label][1]
    runs = Flow("TwinFlow").runs()
    assert len(runs) == 2 and len({r.id for r in runs}) == 2
    for run in runs:
        label = run.parameters["label"]
        assert run.successful
        assert run.data.all == [f"{label}-{i}".upper() for i in range(8)]
        assert [t.data.tagged for t in run["body"].tasks()] == [f"{label}-{i}".upper() for i in range(8)]
        assert run["end"].task.stdout == f"{label}\n"
    assert {r.parameters["label"] for r in runs} == {"left", "right"}


# Forks from a fresh, small interpreter: forking the test process itself (moto loaded,
# threads running) is slow and unsafe.
RACE = """
import multiprocessing, sys, time
from runtime.stores.base import RunRecord
from runtime.stores.sqlite_metadata import SqliteMetadataStore

def record(root, name, barrier, errors):
    barrier.wait()
    try:
        SqliteMetadataStore(root).create_run(RunRecord("RaceFlow", name, created_at=time.time()))
    except Exception as exc:
        errors.put(repr(exc))

ctx = multiprocessing.get_context("fork")
for trial in range(20):
    root = f"{sys.argv[1]}/store{trial}"
    barrier, errors = ctx.Barrier(8), ctx.SimpleQueue()
    procs = [ctx.Process(target=record, args=(root, f"r{i}", barrier, errors)) for i in range(8)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
    if not errors.empty():
        sys.exit(f"trial {trial}: {errors.get()}")
    assert len(SqliteMetadataStore(root).list_runs("RaceFlow")) == 8
"""


def test_processes_opening_a_new_store_at_once_all_record_their_runs(tmp_path: Path, store_root: Path) -> None:
    """What runs started together do first. SQLite's switch to WAL used to fail some of them
    with "database is locked" (most invocations of this test failed before the fix)."""
    done = subprocess.run([sys.executable, "-c", RACE, str(tmp_path)], capture_output=True, text=True, timeout=60,
                          env=cli_env(store_root))
    assert done.returncode == 0, done.stderr
