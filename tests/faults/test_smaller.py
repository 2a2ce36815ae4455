"""The smaller faults of issue 13 (D8): empty logs say so, retries read as retries, a class
from the flow file read elsewhere gets a hint."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from faultrun import cli_env, sfnflow, write_flow

from sfnflow import Flow

QUIET = '''
from sfnflow import FlowSpec, step


class QuietFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
'''


def test_logs_of_a_task_that_printed_nothing_say_so(tmp_path: Path, store_root: Path) -> None:
    assert sfnflow(store_root, "run", write_flow(tmp_path, QUIET, "quiet")).returncode == 0
    run = Flow("QuietFlow").latest_run
    shown = sfnflow(store_root, "logs", f"{run.id}/start")
    assert shown.returncode == 0
    assert f"(QuietFlow/{run.id}/start/0, attempt 0, succeeded: no output was recorded)" in shown.stderr


FLAKY = '''
from sfnflow import FlowSpec, current, retry, step


class FlakyFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.flaky)

    @retry(times=2)
    @step
    def flaky(self):
        if current.retry_count < 2:
            raise RuntimeError(f"failing on attempt {current.retry_count}")
        self.next(self.end)

    @step
    def end(self):
        pass
'''


def test_retried_attempts_show_as_retries_not_failures(tmp_path: Path, store_root: Path) -> None:
    result = sfnflow(store_root, "run", write_flow(tmp_path, FLAKY, "flaky"))
    assert result.returncode == 0, result.stderr
    assert "flaky/0 failed (UserCodeError), retrying: attempt 2 of 3" in result.stderr
    assert "flaky/0 failed (UserCodeError), retrying: attempt 3 of 3" in result.stderr
    assert "FAILED" not in result.stderr
    assert "; 2 retries)" in result.stderr


CLASSY = '''
from sfnflow import FlowSpec, step


class Point:
    def __init__(self, x):
        self.x = x


class ClassyFlow(FlowSpec):
    @step
    def start(self):
        self.point = Point(3)
        self.next(self.end)

    @step
    def end(self):
        pass
'''


def test_a_flow_file_class_read_from_another_folder_gets_a_hint(tmp_path: Path, store_root: Path) -> None:
    flow = write_flow(tmp_path, CLASSY, "classy")
    assert sfnflow(store_root, "run", flow).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    read = ("from sfnflow import Flow\n"
            "try:\n    Flow('ClassyFlow').latest_run['start'].task.data.point\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    shown = subprocess.run([sys.executable, "-c", read], capture_output=True, text=True, cwd=elsewhere,
                           env=cli_env(store_root), timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert f"class lives in module '{flow.stem}'" in shown.stdout
    assert f"read it from the flow's folder ({tmp_path})" in shown.stdout and "sys.path" in shown.stdout
    ok = subprocess.run([sys.executable, "-c", "from sfnflow import Flow; "
                         "print(Flow('ClassyFlow').latest_run['start'].task.data.point.x)"],
                        capture_output=True, text=True, cwd=tmp_path, env=cli_env(store_root), timeout=120)
    assert ok.stdout.strip() == "3", ok.stderr
