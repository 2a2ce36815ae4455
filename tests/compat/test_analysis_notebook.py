"""The article's analysis over three runs of a foreach-and-branch flow (examples/hearthstone),
written with Metaflow's client as a Metaflow 2.19 user writes it, run with only its import
line changed: it prints its table and saves its plot. The runs are started with Runner."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from sfnflow import Runner

REPO = Path(__file__).resolve().parents[2]
FLOW = REPO / "examples" / "hearthstone" / "hearthstone_flow.py"
NOTEBOOK = Path(__file__).resolve().parent / "notebooks" / "hearthstone_analysis.py"
PNG = b"\x89PNG\r\n\x1a\n"


def ported(source: str) -> str:
    """The notebook with its import changed from metaflow to sfnflow, and nothing else."""
    lines = source.splitlines()
    out = [line.replace("from metaflow import", "from sfnflow import") for line in lines]
    assert sum(a != b for a, b in zip(lines, out)) == 1
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("notebook")
    ids = []
    with Runner(str(FLOW), cwd=str(folder), show_output=False, env={"SFNFLOW_ROOT": ""}) as runner:
        for seed in (1, 2, 3):
            running = runner.run(trials=2, archetypes=8, seed=seed, max_workers=2)
            assert running.status == "successful", running.stderr[-2000:]
            ids.append(running.run.id)
    return folder, ids


def test_the_analysis_runs_with_only_the_import_changed(three_runs: tuple[Path, list[str]]) -> None:
    folder, ids = three_runs
    (folder / "analysis.py").write_text(ported(NOTEBOOK.read_text()))
    env = {k: v for k, v in os.environ.items() if k != "SFNFLOW_ROOT"}
    done = subprocess.run([sys.executable, "analysis.py"], cwd=folder, capture_output=True, text=True, timeout=300,
                          env={**env, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert f"metadata: local@{folder / '.sfnflow'}" in out  # the store beside the runs, found from the folder
    assert f"3 successful runs of HearthstoneFlow; latest: {ids[-1]}" in out
    rows = [line for line in out.splitlines() if line.split()[:1] and line.split()[0] in ids and "{" in line]
    assert [row.split()[0] for row in rows] == ids[::-1]  # newest first, as Metaflow lists runs
    for row in rows:
        cells = row.split()
        trials, best_of, accuracy, baseline = int(cells[6]), float(cells[7]), float(cells[8]), float(cells[9])
        assert trials == 2 and best_of == accuracy > baseline + 0.2  # the best model is the best trial
        assert cells[5] == "8"  # archetypes: the foreach's tasks
        assert cells[-1] == platform.python_version()  # the environment the best task ran in
    assert "deck_archetype" in out and "feature cards:" in out
    assert "saved hearthstone_runs.png" in out
    plot = (folder / "hearthstone_runs.png").read_bytes()
    assert plot.startswith(PNG) and len(plot) > 10_000
