"""Examples with their own folder (examples/<name>/) run as a user runs them: the CLI in a
child process, from a scratch folder, with the store and any tracking files kept there."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


class Shell:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env = dict(os.environ, SFNFLOW_ROOT=str(cwd / "store"), MLFLOW_DISABLE_TELEMETRY="true",
                        MLFLOW_TRACKING_URI=f"sqlite:///{cwd / 'mlflow.db'}", MPLBACKEND="Agg")
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, *args], cwd=self.cwd, env=self.env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    def sfnflow(self, *args: str) -> subprocess.CompletedProcess:
        return self("-m", "sfnflow", *args)


@pytest.fixture
def shell(tmp_path: Path) -> Shell:
    return Shell(tmp_path)


def run_id_of(output: str) -> str:
    """The run id from the CLI's closing line `Run Flow/<id> succeeded ...`."""
    line = next(line for line in output.splitlines() if line.startswith("Run ") and " succeeded" in line)
    return line.split()[1].split("/")[1]
