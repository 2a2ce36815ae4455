"""A step fails: the run stops with the user's own traceback shown once, everything saved
before it stays readable, and `sfnflow resume` finishes the run, rerunning only the failed
step and what follows it (or everything from `--from STEP`)."""
from __future__ import annotations

import re
from pathlib import Path

from localrun import write_flow

from sfnflow import Flow, Run

# start -> square (foreach) -> add_up (the join, third step: raises while BROKEN exists) -> end.
# Every task appends a line to calls.txt, so a reused task is one that did not append.
FLOW = '''
import os
from sfnflow import FlowSpec, Parameter, step

HERE = os.path.dirname(os.path.abspath(__file__))


def note(what):
    with open(os.path.join(HERE, "calls.txt"), "a") as fh:
        fh.write(what + "\\n")


class ResumableFlow(FlowSpec):
    n = Parameter("n", default=3)

    @step
    def start(self):
        note("start")
        self.items = list(range(1, self.n + 1))
        self.next(self.square, foreach="items")

    @step
    def square(self):
        note(f"square {self.input}")
        self.sq = self.input ** 2
        self.next(self.add_up)

    @step
    def add_up(self, inputs):
        note("add_up")
        if os.path.exists(os.path.join(HERE, "BROKEN")):
            raise ValueError("the add_up step is broken")
        self.total = sum(i.sq for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        note("end")
        print("total", self.total)
'''
RAISE_LINE = 'raise ValueError("the add_up step is broken")'


def calls(folder: Path) -> list[str]:
    return sorted((folder / "calls.txt").read_text().splitlines())


def run_id_of(stderr: str) -> str:
    match = re.search(r"^Run ResumableFlow/(\S+) started$", stderr, re.M)
    assert match, stderr
    return match.group(1)


def shas(run: Run, step: str) -> dict[str, dict[str, str]]:
    return {t.id: dict(t.index_record.artifacts) for t in run[step]}


def test_failed_step_then_resume_reuses_what_succeeded(sfnflow, tmp_path: Path, store_root: Path) -> None:
    flow = write_flow(tmp_path, FLOW, "resumable")
    (tmp_path / "BROKEN").touch()

    failed = sfnflow("run", flow, "--n", "4")
    assert failed.returncode == 1
    # The summary after the run (the task's output, traceback included, was also shown live,
    # each line prefixed with its task, as Metaflow shows it).
    err = "\n".join(line for line in failed.stderr.splitlines() if not line.startswith("[add_up/0] "))
    # The user's own traceback, once, with only the user's frames.
    assert err.count(RAISE_LINE) == 1 and err.count("Traceback (most recent call last)") == 1, err
    frames = re.findall(r'^\s*File "([^"]+)", line \d+', err, re.M)
    assert frames == [str(flow)], err
    assert "ValueError: the add_up step is broken" in err
    origin_id = run_id_of(err)
    assert f"sfnflow resume {origin_id}" in err

    origin = Run(f"ResumableFlow/{origin_id}")
    assert origin.status == "FAILED"
    assert origin.exception["step"] == "add_up" and "the add_up step is broken" in origin.exception["message"]
    assert origin["start"].task.data.items == [1, 2, 3, 4]  # every earlier artifact intact
    assert [t.data.sq for t in origin["square"].tasks()] == [1, 4, 9, 16]
    assert origin["add_up"].task.status == "FAILED"
    assert "end" not in origin
    assert calls(tmp_path) == ["add_up", "square 1", "square 2", "square 3", "square 4", "start"]
    logs = sfnflow("logs", f"{origin_id}/add_up")  # the failed task's log keeps the traceback
    assert logs.returncode == 0 and logs.stderr.count(RAISE_LINE) == 1

    (tmp_path / "BROKEN").unlink()  # the fix
    resumed = sfnflow("resume", origin_id)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming ResumableFlow/{origin_id} from step 'add_up'; reusing start, square." in resumed.stderr
    run = Flow("ResumableFlow").latest_run
    assert run.id == run_id_of(resumed.stderr) != origin_id
    assert run.successful and run.origin_run_id == origin_id
    assert run.parameters == {"n": 4}  # the origin run's parameters
    assert [t.status for t in run["start"]] + [t.status for t in run["square"]] == ["REUSED"] * 5
    assert shas(run, "start") == shas(origin, "start") and shas(run, "square") == shas(origin, "square")
    assert [t.status for t in run["add_up"]] + [t.status for t in run["end"]] == ["SUCCEEDED"] * 2
    assert run.data.total == 30
    assert run["end"].task.stdout == "total 30\n"
    # Only the failed step and the one after it ran again.
    assert calls(tmp_path) == ["add_up", "add_up", "end", "square 1", "square 2", "square 3", "square 4", "start"]

    again = sfnflow("resume", origin_id, "--from", "square")
    assert again.returncode == 0, again.stderr
    assert "from step 'square'; reusing start." in again.stderr
    rerun = Flow("ResumableFlow").latest_run
    assert rerun.origin_run_id == origin_id and rerun.successful
    assert rerun["start"].task.status == "REUSED"
    assert {t.status for t in rerun["square"]} == {"SUCCEEDED"}
    assert rerun.data.total == 30
    assert calls(tmp_path).count("start") == 1 and calls(tmp_path).count("square 1") == 2

    finished = sfnflow("resume", rerun.id)  # nothing failed: say what to do instead
    assert finished.returncode == 1
    assert finished.stderr.startswith(f"Error: run {rerun.id} finished every step; give --from STEP")
