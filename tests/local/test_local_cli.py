"""The command line, as a user meets it: `python -m sfnflow ...` (and `python flow.py run`)
in a child process with SFNFLOW_ROOT pointing at the test's own store."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from localrun import EXAMPLES, INVALID, REPO

from sfnflow import Flow, Run

FOREACH = EXAMPLES / "foreach.py"
PARAMETERS = EXAMPLES / "parameters.py"


def run_id_of(stderr: str, flow: str) -> str:
    """The run id from the `Run Flow/<id> started` line."""
    marker = f"Run {flow}/"
    line = next(line for line in stderr.splitlines() if line.startswith(marker))
    return line[len(marker):].split()[0]


def test_run_summary_runs_newest_first_and_logs(sfnflow, store_root: Path) -> None:
    first = sfnflow("run", FOREACH)
    assert first.returncode == 0, first.stderr
    first_id = run_id_of(first.stderr, "ForeachFlow")
    assert f"Run ForeachFlow/{first_id} succeeded in " in first.stderr
    assert f"sfnflow logs {first_id}/end" in first.stderr  # how to read the results
    assert "Traceback" not in first.stderr
    assert first.stdout == ""  # progress and summary go to stderr; stdout stays free for pipes
    second = sfnflow("run", FOREACH, "--tag", "nightly", "--max-workers", "1")
    assert second.returncode == 0, second.stderr
    second_id = run_id_of(second.stderr, "ForeachFlow")

    listed = sfnflow("runs", "ForeachFlow")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert [row[0] for row in rows] == [second_id, first_id]  # newest first
    assert [row[1] for row in rows] == ["SUCCEEDED", "SUCCEEDED"]
    assert rows[0][-1] == "nightly"
    assert Flow("ForeachFlow").latest_run.user_tags == {"nightly"}

    logs = sfnflow("logs", f"{first_id}/end")
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout == "total: 20\n"
    every = sfnflow("logs", f"ForeachFlow/{first_id}/double")  # FLOW/ first works too; one header per task
    assert [line for line in every.stdout.splitlines() if line.startswith("---")] == [
        f"--- ForeachFlow/{first_id}/double/{i} (attempt 0, SUCCEEDED)" for i in range(4)]

    none = sfnflow("runs", "NoSuchFlow")
    assert (none.returncode, none.stderr.splitlines()[0]) == (
        1, "Error: no runs of NoSuchFlow yet. Start one with: sfnflow run <flow file>")
    missing = sfnflow("logs", "nosuchrun/end")
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error: no local run nosuchrun.")


def test_reading_a_missing_store_says_where_and_creates_nothing(sfnflow, store_root: Path) -> None:
    done = sfnflow("runs", "NoSuchFlow")
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: no local runs in {store_root} (SFNFLOW_ROOT)")
    elsewhere = store_root.parent / "typo"
    done = sfnflow("logs", "somerun/end", "--root", elsewhere)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert not store_root.exists() and not elsewhere.exists()


def test_python_flow_file_run_with_parameters(sfnflow, store_root: Path) -> None:
    """Metaflow's habit: `python flow.py run --param value`."""
    done = sfnflow(PARAMETERS, "run", "--count", "3", "--who", "bob", "--no-loud", python_file=True)
    assert done.returncode == 0, done.stderr
    run = Run(f"ParametersFlow/{run_id_of(done.stderr, 'ParametersFlow')}")
    assert run.parameters == {"count": 3, "who": "bob", "loud": False}
    assert run.data.message == "hello bob, hello bob, hello bob"


@pytest.mark.parametrize("args, name", [
    (["--count", "many"], "--count"),
    (["--ratio", "half"], "--ratio"),
    (["--config", "{not json"], "--config"),
    (["--loud", "maybe"], "--loud"),
    (["--colour", "red"], "--colour"),
])
def test_bad_parameter_value_stops_before_anything_runs(sfnflow, store_root: Path, args: list[str],
                                                       name: str) -> None:
    done = sfnflow("run", PARAMETERS, *args)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and name in lines[0], done.stderr
    assert done.stdout == ""
    assert not store_root.exists()  # no run was recorded, nothing was written


@pytest.mark.parametrize("name", ["missing_join.py", "next_bad_target.py"])
def test_invalid_flow_reports_file_line_step_without_traceback(sfnflow, tmp_path: Path, store_root: Path,
                                                                name: str) -> None:
    flow = tmp_path / name
    shutil.copy(INVALID / name, flow)
    expected = flow.read_text().splitlines()[0].removeprefix("# expect: ")
    line, _, message = expected.partition(": ")
    done = sfnflow("run", flow)
    assert done.returncode == 1
    assert f"{flow}:{line}: {message}" in done.stderr
    assert "step '" in message
    assert "Traceback" not in done.stderr
    assert not store_root.exists()


@pytest.mark.parametrize("fmt, head", [
    ("text", "BranchFlow  ("),
    ("mermaid", "flowchart TD"),
    ("dot", 'digraph "BranchFlow" {'),
])
def test_show_formats(sfnflow, fmt: str, head: str) -> None:
    done = sfnflow("show", EXAMPLES / "branch.py", "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(head)
    for step in ("start", "a", "b", "join", "end"):
        assert step in done.stdout


def test_show_json(sfnflow) -> None:
    done = sfnflow("show", EXAMPLES / "mixed_compute.py", "--format", "json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["name"] == "MixedComputeFlow"
    compute = {s["name"]: s["compute"].split()[0] for s in shown["steps"]}
    assert compute == {"start": "lambda", "prepare": "batch", "summarize": "lambda", "big_memory": "batch",
                       "end": "lambda"}
    assert shown["limits"]


def test_compile_output_is_byte_identical_across_processes(sfnflow, tmp_path: Path, store_root: Path) -> None:
    outputs = []
    for seed in ("1", "2"):  # different hash seeds: set/dict order must not leak into the ASL
        out = tmp_path / f"sm{seed}.json"
        done = sfnflow("compile", EXAMPLES / "nested_foreach.py", "-o", out,
                       env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)})
        assert done.returncode == 0, done.stderr
        assert f"wrote {out}" in done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["StartAt"] == "start"


@pytest.mark.parametrize("engine", ["moto", "bogus"])
def test_the_local_engine_switch(sfnflow, store_root: Path, engine: str) -> None:
    """SFNFLOW_LOCAL_ENGINE=moto runs the same flow on moto's interpreter; a misspelt name
    is one sentence, before any run is recorded."""
    from localrun import cli_env

    done = sfnflow("run", FOREACH, env={**cli_env(store_root), "SFNFLOW_LOCAL_ENGINE": engine})
    if engine == "moto":
        assert done.returncode == 0, done.stderr
        assert Flow("ForeachFlow").latest_successful_run.data.total == 20
        return
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "unknown local engine SFNFLOW_LOCAL_ENGINE='bogus': use one of interp, moto" in done.stderr
    assert not (store_root / "metadata.sqlite").exists() or not list(Flow("ForeachFlow").runs())
