"""Engine lifecycle: stop() aborts and frees workers, the environment and moto restored, the
moto version check, full-history mode, state sizes at width, and the real run_task."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from player import Script, TaskPlayer, example

from runtime.engine import LocalEngine

START = {"parameters": {}}
HERE = os.path.dirname(os.path.abspath(__file__))


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def _gone(pids: list[int], limit: float = 30.0) -> bool:
    """Whether every process has exited (a grace period for the kernel, not a speed check)."""
    deadline = time.monotonic() + limit
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_stop_aborts_the_execution_and_terminates_workers(player: TaskPlayer, engine_kind: str) -> None:
    player.script(f"stop-{engine_kind}", Script(sleep=["slow_step"]))
    with LocalEngine(player, engine=engine_kind, max_workers=2, artifact_root=player.folder) as eng:
        pids = eng.pool.pids()
        # Stop once the sleeping step runs (it would otherwise sleep for an hour).
        on_event = lambda kind, step, task, **info: kind == "started" and step == "slow_step" and eng.stop()
        result = eng.run(example("timeout"), run_id=f"stop-{engine_kind}", execution_input=START,
                         on_event=on_event)
        assert result.status == "ABORTED" and result.interrupted
    assert len(pids) == 2 and _gone(pids)


def test_moto_engine_fakes_credentials_and_patches_only_while_open(monkeypatch: pytest.MonkeyPatch,
                                                                       player: TaskPlayer) -> None:
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    from runtime.engine.patches import REGISTRY

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    unpatched = Environment.set_ended
    with LocalEngine(player, engine="moto", max_workers=1) as eng:
        assert os.environ["AWS_ACCESS_KEY_ID"] != "AKIAUSERSOWNKEY"  # moto's or ours, never the user's
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
        assert Environment.set_ended is not unpatched and REGISTRY.active is not None
        with pytest.raises(RuntimeError, match="already patched"):
            LocalEngine(player, engine="moto", max_workers=1).start()  # one moto engine per process
        assert REGISTRY.active.owner is eng  # the refused one took nothing down
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAUSERSOWNKEY"
    assert "AWS_SESSION_TOKEN" not in os.environ
    assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-3"
    assert Environment.set_ended is unpatched and REGISTRY.active is None


def test_the_interpreter_leaves_the_aws_environment_and_moto_alone(monkeypatch: pytest.MonkeyPatch,
                                                                 player: TaskPlayer) -> None:
    from runtime.engine.patches import REGISTRY

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY")
    with LocalEngine(player, engine="interp", max_workers=1) as eng:
        assert eng.engine == "interp"
        assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAUSERSOWNKEY"  # nothing AWS-shaped runs
        assert REGISTRY.active is None


def test_wrong_moto_version_fails_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto

    from runtime.engine.patches import REGISTRY, MotoPatchError

    monkeypatch.setattr(moto, "__version__", "5.3.0")
    with pytest.raises(MotoPatchError, match=r"patches moto 5\.2\.5 internals, but moto 5\.3\.0"):
        REGISTRY.check()


def test_full_history_mode_keeps_every_event(player: TaskPlayer, engine_kind: str) -> None:
    player.script(f"full-{engine_kind}", Script(fanout={"start": 3}))
    with LocalEngine(player, engine=engine_kind, max_workers=1, lean_history=False) as eng:
        result = eng.run(example("foreach"), run_id=f"full-{engine_kind}", execution_input=START)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.history.by_type["MapIterationSucceeded"] == 3
    assert result.history.max_input_bytes > 0
    if engine_kind == "interp":  # moto keeps its own history then; the interpreter keeps it here
        assert sum(1 for e in result.history.kept if e["type"] == "MapIterationSucceeded") == 3


@pytest.mark.parametrize("width", [400, pytest.param(2000, marks=pytest.mark.slow)])
def test_a_wide_fanout_keeps_every_state_under_8_kib(player: TaskPlayer, engine_kind: str, width: int) -> None:
    # Through the Distributed Map: the state never carries the items.
    run_id = f"wide{width}-{engine_kind}"
    player.script(run_id, Script(fanout={"start": width}, distributed=True))
    with LocalEngine(player, engine=engine_kind, max_workers=2, artifact_root=player.folder) as eng:
        result = eng.run(example("foreach"), run_id=run_id, execution_input=START)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.tasks == width + 3
    assert result.max_state_bytes < 8 * 1024, result.history


def test_compiled_example_runs_with_the_real_run_task(tmp_path: Any, engine_kind: str) -> None:
    path = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples", "foreach.py")
    steps: list[str] = []
    with LocalEngine(flow_file=path, root=str(tmp_path), engine=engine_kind, max_workers=2) as eng:
        result = eng.run(example("foreach"), run_id="real1", execution_input=START,
                         on_event=lambda kind, step, t, **i: kind == "succeeded" and steps.append(step))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert steps[0] == "start" and steps[-1] == "end"
    assert os.path.exists(os.path.join(str(tmp_path), "metadata.sqlite"))


CTRL_C_SCRIPT = r"""
import sys
sys.path.insert(0, sys.argv[1])
from player import Script, TaskPlayer, example
from runtime.engine import LocalEngine
player = TaskPlayer(sys.argv[2])
player.script("cc1", Script(sleep=["slow_step"]))
with LocalEngine(player, engine=sys.argv[3], max_workers=2) as eng:
    print("PIDS", *eng.pool.pids(), flush=True)
    try:
        eng.run(example("timeout"), run_id="cc1", execution_input={"parameters": {}},
                on_event=lambda kind, step, task, **i: kind == "started" and step == "slow_step"
                and print("SLEEPING", flush=True))
    except KeyboardInterrupt:
        print("INTERRUPTED", flush=True)
"""


def test_ctrl_c_aborts_and_leaves_no_workers(tmp_path: Any, engine_kind: str) -> None:
    tests = os.path.dirname(HERE)
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C_SCRIPT, tests, str(tmp_path), engine_kind],
                            stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                filter(None, [os.path.dirname(tests), os.environ.get("PYTHONPATH")]))})
    assert proc.stdout is not None
    try:
        pids = [int(p) for p in proc.stdout.readline().split()[1:]]
        assert proc.stdout.readline().strip() == "SLEEPING"  # the step runs on a worker now
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)  # a hang guard, not a speed check
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "INTERRUPTED" in out
    assert pids and _gone(pids)
