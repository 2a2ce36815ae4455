"""Engine lifecycle: stop() aborts and frees workers, env restored, moto version check,
full-history mode, the 8 KiB state check on a 2,000-way fan-out, and the real run_task."""
from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from shapes import MODEL, body_one, foreach, task

from runtime.engine import LocalEngine


def test_stop_aborts_the_execution_and_terminates_workers(artifacts: str) -> None:
    asl = {"StartAt": "start", "States": {"start": task("start", "sleep", start=True),
                                          "sleep": task("sleep", None)}}
    with LocalEngine("tasks:behave", max_workers=2, preload=["tasks"]) as eng:
        pids = list(eng.pool._all)
        timer = threading.Timer(0.5, eng.stop)
        timer.start()
        t0 = time.monotonic()
        result = eng.run(asl, model=MODEL, run_id="stop1", execution_input={"parameters": {}})
        assert time.monotonic() - t0 < 5
        assert result.status == "ABORTED" and result.interrupted
    deadline = time.monotonic() + 3
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if _alive(p)]
        time.sleep(0.02)
    assert alive == []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def test_fake_credentials_live_only_as_long_as_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    with LocalEngine("tasks:echo", max_workers=1, preload=["tasks"], engine="moto"):
        assert os.environ["AWS_ACCESS_KEY_ID"] != "AKIAUSERSOWNKEY"  # moto's or ours, never the user's
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAUSERSOWNKEY"
    assert "AWS_SESSION_TOKEN" not in os.environ
    assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-3"


def test_wrong_moto_version_fails_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto

    from runtime.engine.patches import REGISTRY, MotoPatchError

    monkeypatch.setattr(moto, "__version__", "5.3.0")
    with pytest.raises(MotoPatchError, match=r"patches moto 5\.2\.5 internals, but moto 5\.3\.0"):
        REGISTRY.check()


def test_the_interpreter_leaves_the_aws_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY")
    with LocalEngine("tasks:echo", max_workers=1, preload=["tasks"], engine="interp") as eng:
        assert eng.engine == "interp"
        assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAUSERSOWNKEY"  # nothing AWS-shaped runs


@pytest.mark.parametrize("engine", ["moto", "interp"])
def test_full_history_mode_keeps_every_event(engine: str) -> None:
    with LocalEngine("tasks:behave", max_workers=1, preload=["tasks"], lean_history=False, engine=engine) as eng:
        result = eng.run(foreach("split3", body_one()), model=MODEL, run_id="full1", execution_input={"parameters": {}})
        assert result.status == "SUCCEEDED", result.cause
        assert result.history.by_type["MapIterationSucceeded"] == 3
        assert result.history.max_input_bytes > 0
        if engine == "interp":  # moto keeps its own history then; the interpreter keeps it here
            assert sum(1 for e in result.history.kept if e["type"] == "MapIterationSucceeded") == 3


def test_two_thousand_way_fanout_keeps_every_state_under_8_kib(artifacts: str) -> None:
    with LocalEngine("tasks:behave", max_workers=2, preload=["tasks"], artifact_root=artifacts) as eng:
        result = eng.run(foreach("bigsplit2000", body_one(), inline_max=40), model=MODEL, run_id="wide1",
                         execution_input={"parameters": {}})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.tasks == 2003
    assert result.max_state_bytes < 8 * 1024, result.history


def test_compiled_example_runs_with_the_real_run_task(tmp_path: Any) -> None:
    from sfn_compiler.compile import compile_flow
    from sfn_compiler.graph.builder import build_graph
    from sfn_compiler.loader import load_flow

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(repo, "examples", "foreach.py")
    compiled = compile_flow(build_graph(load_flow(path)))
    steps: list[str] = []
    with LocalEngine(flow_file=path, root=str(tmp_path), max_workers=2) as eng:
        result = eng.run(compiled, run_id="real1", execution_input={"parameters": {}},
                         on_event=lambda kind, step, t, **i: kind == "succeeded" and steps.append(step))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert steps[0] == "start" and steps[-1] == "end"
    assert os.path.exists(os.path.join(str(tmp_path), "metadata.sqlite"))


CTRL_C_SCRIPT = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
from shapes import MODEL, task
from runtime.engine import LocalEngine
asl = {"StartAt": "start", "States": {"start": task("start", "sleep", start=True), "sleep": task("sleep", None)}}
with LocalEngine("tasks:behave", max_workers=2, preload=["tasks"]) as eng:
    print("PIDS", *eng.pool._all, flush=True)
    try:
        eng.run(asl, model=MODEL, run_id="cc1", execution_input={"parameters": {}})
    except KeyboardInterrupt:
        print("INTERRUPTED", flush=True)
"""


def test_ctrl_c_aborts_quickly_and_leaves_no_workers() -> None:
    import signal
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C_SCRIPT, here], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()[1:]]
    time.sleep(1.0)  # the sleep step is running on a worker
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=10)
    assert "INTERRUPTED" in out
    deadline = time.monotonic() + 3
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(_alive(p) for p in pids)
