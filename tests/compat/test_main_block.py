"""The flow file's `if __name__ == "__main__":` block runs as under Metaflow: in the launching
process before the run, and in the task processes, stopping at the flow's `MyFlow()` call.

Expected values: Metaflow 2.19.39 run here on the same flow (`python main_block.py --no-pylint run`,
2026-12-01): all_saw_setup True, levels [10] (DEBUG), the block ran in the launcher and in each
of the 6 task processes (7 pids), and nothing after `MainBlockFlow()` ran. sfnflow's tasks run
in warm workers forked from one prepared process, so the block runs there once, not per task.
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


@pytest.mark.parametrize("how", ["sfnflow run", "python flow.py run"])
def test_main_block_setup_reaches_every_task(tmp_path: Path, how: str) -> None:
    log = tmp_path / "pids.log"
    env = dict(os.environ, MAIN_BLOCK_LOG=str(log), SFNFLOW_ROOT=str(tmp_path / "store"), PYTHONPATH=str(REPO))
    env.pop("MAIN_BLOCK_SETUP", None)
    flow = str(FLOWS / "main_block.py")
    command = [sys.executable, "-m", "sfnflow", "run", flow] if how == "sfnflow run" else [sys.executable, flow, "run"]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    client.set_root(str(tmp_path / "store"))
    data = Flow("MainBlockFlow").latest_run.data
    assert data.all_saw_setup is True and data.levels == [10]
    lines = log.read_text().splitlines()
    assert "after the flow call" not in lines
    pids = {int(line) for line in lines}
    assert len(pids) >= 2 and os.getpid() not in pids  # the launcher and the task processes
