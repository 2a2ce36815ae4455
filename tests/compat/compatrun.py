"""Helpers of the compat suite (a module name no other test folder uses)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sfnflow import Run

FLOWS = Path(__file__).resolve().parent / "flows"
WORKERS = 2


def task_counts(run: Run) -> dict[str, int]:
    """step -> how many tasks ran (as Metaflow's client lists them)."""
    return {step.id: len(step.tasks()) for step in run.steps()}


def end_data(run: Run, *names: str) -> dict[str, Any]:
    data = run["end"].task.data
    return {name: getattr(data, name) for name in names}
