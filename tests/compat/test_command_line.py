"""Metaflow's command line habits: `python flow.py --help`, `run --help`, `--with`, resume's
forms, and the options sfnflow needs none of.

Metaflow 2.19.39, run here: `python flow.py --help` lists the commands, `run --help` the flow's
parameters; `--with retry` puts @retry on every step (a step failing its first attempt then
succeeds on attempt 1); `resume` without a run id resumes the latest run of the flow;
`resume STEP --origin-run-id ID` reruns from STEP.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from compatrun import FLOWS

from sfnflow import Flow, client

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
FLAKY = str(FLOWS / "flaky_flow.py")


def python_flow(tmp_path: Path, *args: str, flow: str = FLAKY, **env: str) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ, SFNFLOW_ROOT=str(tmp_path / "store"), PYTHONPATH=str(REPO),
                   FLAKY_BROKEN=str(tmp_path / "BROKEN"), **env)
    client.set_root(str(tmp_path / "store"))
    return subprocess.run([sys.executable, flow, *args], cwd=tmp_path, env=environ, capture_output=True, text=True,
                          timeout=120)


def test_help_lists_the_commands_and_the_flows_parameters(tmp_path: Path) -> None:
    for args in (["--help"], []):
        done = python_flow(tmp_path, *args)
        assert done.returncode == 0, done.stderr
        assert "Commands:" in done.stdout and "run " in done.stdout and "resume " in done.stdout
        assert "--width INT" in done.stdout and "items in the foreach [default: 3]" in done.stdout
    run_help = python_flow(tmp_path, "run", "--help")
    assert run_help.returncode == 0 and "Parameters of flaky_flow.py" in run_help.stdout
    assert "--width INT" in run_help.stdout and "--with DECORATOR" in run_help.stdout


@pytest.mark.parametrize("where", ["before the command", "on run"])
def test_with_retry_puts_retry_on_every_step(tmp_path: Path, where: str) -> None:
    without = python_flow(tmp_path, "run")
    assert without.returncode == 1 and "first attempts fail" in without.stderr
    option = ["--with", "retry:times=1,minutes_between_retries=0"]
    args = [*option, "run"] if where == "before the command" else ["run", *option]
    done = python_flow(tmp_path, *args)
    assert done.returncode == 0, done.stderr[-3000:]
    run = Flow("FlakyFlow").latest_run
    assert run.successful and run.data.attempts == [1, 1, 1]
    assert {t.current_attempt for t in run["flaky"]} == {1}
    assert "[flaky/0] attempt 1 of item 0" in done.stderr  # live step output


def test_metaflows_other_options_are_accepted(tmp_path: Path) -> None:
    done = python_flow(tmp_path, "--no-pylint", "--quiet", "--datastore=local", "--metadata", "local",
                       "--environment=pypi", "--with", "retry:minutes_between_retries=0", "run",
                       "--max-num-splits", "2", "--width", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "--max-num-splits 2 is not needed" in done.stderr
    assert "[flaky/" not in done.stderr  # --quiet: no live output
    noted = python_flow(tmp_path, "--metadata=service", "--with", "retry:minutes_between_retries=0", "run",
                        "--width", "1")
    assert noted.returncode == 0 and "note: --metadata=service changes nothing here" in noted.stderr


def test_a_mistake_on_the_command_line_is_one_sentence(tmp_path: Path) -> None:
    for args, says in ((["--with", "nosuch", "run"], "'nosuch' is not a step decorator"),
                       (["--bogus", "run"], "unknown option --bogus"),
                       (["fly"], "got fly; use one of")):
        done = python_flow(tmp_path, *args)
        assert done.returncode != 0 and says in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_resume_forms(tmp_path: Path) -> None:
    retry = ["--with", "retry:times=1,minutes_between_retries=0"]
    (tmp_path / "BROKEN").touch()
    failed = python_flow(tmp_path, *retry, "run")
    assert failed.returncode == 1
    origin = Flow("FlakyFlow").latest_run
    # another flow runs later: `resume` with no id must still pick FlakyFlow's latest run
    other = python_flow(tmp_path, "run", flow=str(FLOWS / "switch_basic.py"))
    assert other.returncode == 0, other.stderr
    (tmp_path / "BROKEN").unlink()
    resumed = python_flow(tmp_path, *retry, "resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"Resuming FlakyFlow/{origin.id}" in resumed.stderr
    latest = Flow("FlakyFlow").latest_run
    assert latest.successful and latest.origin_run_id == origin.id
    # Metaflow's `resume STEP --origin-run-id ID`: rerun from that step of that run
    again = python_flow(tmp_path, *retry, "resume", "join", "--origin-run-id", origin.id)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"Resuming FlakyFlow/{origin.id} from step 'join'" in again.stderr
