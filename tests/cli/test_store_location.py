"""One rule for where `.sfnflow/` lives (the nearest from the current folder upward, else
here), and hints after a run that work as pasted from where the user stands."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def sfnflow(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "SFNFLOW_ROOT"}
    environ.update(env, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "sfnflow", *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=300)


def hint(output: str, label: str) -> str:
    return next(line.split(":", 1)[1].strip() for line in output.splitlines() if line.strip().startswith(label))


def test_a_flow_elsewhere_runs_into_the_current_folders_store_and_the_hints_work_there(tmp_path: Path) -> None:
    flows, here = tmp_path / "flows", tmp_path / "work"
    flows.mkdir()
    (here / "deeper").mkdir(parents=True)
    shutil.copy(REPO / "examples" / "linear.py", flows / "linear_elsewhere.py")
    (here / ".sfnflow").mkdir()
    done = sfnflow(here / "deeper", "run", str(flows / "linear_elsewhere.py"))
    assert done.returncode == 0, done.stderr
    assert (here / ".sfnflow" / "LinearFlow").is_dir() and not (flows / ".sfnflow").exists()
    artifacts = hint(done.stderr, "Artifacts:")
    assert "SFNFLOW_ROOT" not in artifacts  # found from here without help
    logs = hint(done.stderr, "Logs:").split()
    assert sfnflow(here / "deeper", *logs[1:]).returncode == 0


def test_a_run_into_another_root_prints_hints_that_carry_it(tmp_path: Path) -> None:
    store = tmp_path / "elsewhere" / "store"
    done = sfnflow(tmp_path, "run", str(REPO / "examples" / "linear.py"), "--root", str(store))
    assert done.returncode == 0, done.stderr
    logs = hint(done.stderr, "Logs:")
    assert logs.startswith(f"SFNFLOW_ROOT={store} sfnflow logs ")
    env_part, command = logs.split(" ", 1)
    again = sfnflow(tmp_path, *command.split()[1:], SFNFLOW_ROOT=env_part.split("=", 1)[1])
    assert again.returncode == 0, again.stderr
