"""Metaflow's deploy habit: `python flow.py step-functions create | trigger | list-runs |
delete` do what sfnflow's deploy / trigger / runs / destroy do, with their code."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sfnflow.cli import main

ROOT = Path(__file__).resolve().parents[2]
LINEAR = str(ROOT / "examples" / "linear.py")


def test_create_only_json_prints_the_state_machine_compile_prints() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, LINEAR, "step-functions", "create", "--only-json"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == CliRunner().invoke(main, ["compile", LINEAR]).output
    batch = CliRunner().invoke(main, ["step-functions", "create", LINEAR, "--only-json", "--with", "batch"])
    assert batch.exit_code == 0 and "batch:submitJob.sync" in batch.output


def test_with_an_unknown_decorator_is_one_sentence() -> None:
    done = CliRunner().invoke(main, ["step-functions", "create", LINEAR, "--only-json", "--with", "kubernetes"])
    assert done.exit_code != 0 and "--with kubernetes" in done.output and "Traceback" not in done.output


@pytest.mark.slow
def test_create_list_runs_and_delete_on_the_emulator(emulator: Any) -> None:
    runner = CliRunner()
    created = runner.invoke(main, ["step-functions", "create", LINEAR])
    assert created.exit_code == 0, created.output
    assert "StateMachineArn: arn:aws:states:us-east-1:123456789012:stateMachine:LinearFlow" in created.output
    again = runner.invoke(main, ["step-functions", "create", LINEAR])
    assert "no changes" in again.output
    started = runner.invoke(main, ["step-functions", "trigger", LINEAR, "--name", "sf-1", "--wait"])
    assert started.exit_code == 0, started.output
    listed = runner.invoke(main, ["step-functions", "list-runs", LINEAR])
    assert listed.exit_code == 0, listed.output
    assert any(line.split()[:2] == ["sf-1", "SUCCEEDED"] for line in listed.output.splitlines()), listed.output
    gone = runner.invoke(main, ["step-functions", "delete", LINEAR, "--authorize"])
    assert gone.exit_code == 0 and "deleted stack LinearFlow" in gone.output
