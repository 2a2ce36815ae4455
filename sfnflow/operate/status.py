"""What a run did, step by step, from its metadata (local and cloud runs alike).

    report = run_report(stores.metadata, "TrainFlow", "20261201T0900-ab12cd")
    report.run.status, [(s.step, s.succeeded, s.running, s.failed) for s in report.steps]
    report.failures   # the failing tasks' latest attempts, each with its error
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runtime.stores.base import (
    ATTEMPT_CAUGHT, ATTEMPT_FAILED, ATTEMPT_REUSED, ATTEMPT_RUNNING, ATTEMPT_SUCCEEDED, AttemptRecord, RunRecord,
)

from .errors import OperateError

__all__ = ["RunReport", "StepProgress", "run_report", "step_progress"]


@dataclass
class StepProgress:
    step: str
    succeeded: int = 0
    running: int = 0
    failed: int = 0
    reused: int = 0
    caught: int = 0
    first_started: float = 0.0

    @property
    def done(self) -> int:
        return self.succeeded + self.reused + self.caught

    def summary(self) -> str:
        parts = [f"{n} {word}" for n, word in ((self.succeeded, "succeeded"), (self.reused, "reused"),
                                               (self.caught, "caught"), (self.running, "running"),
                                               (self.failed, "failed")) if n]
        return ", ".join(parts) or "no tasks"


@dataclass
class RunReport:
    run: RunRecord
    steps: list[StepProgress]
    failures: list[AttemptRecord] = field(default_factory=list)

    @property
    def pathspec(self) -> str:
        return f"{self.run.flow}/{self.run.run_id}"


def step_progress(tasks: list[AttemptRecord]) -> list[StepProgress]:
    """Per step, in the order the steps started: how many tasks are in which state."""
    steps: dict[str, StepProgress] = {}
    for task in tasks:
        progress = steps.setdefault(task.step, StepProgress(task.step, first_started=task.started_at))
        progress.first_started = min(progress.first_started, task.started_at)
        if task.status == ATTEMPT_SUCCEEDED:
            progress.succeeded += 1
        elif task.status == ATTEMPT_RUNNING:
            progress.running += 1
        elif task.status == ATTEMPT_FAILED:
            progress.failed += 1
        elif task.status == ATTEMPT_REUSED:
            progress.reused += 1
        elif task.status == ATTEMPT_CAUGHT:
            progress.caught += 1
    return sorted(steps.values(), key=lambda s: (s.first_started, s.step))


def run_report(metadata: Any, flow: str, run_id: str) -> RunReport:
    """Raises OperateError if the store has no such run."""
    run = metadata.get_run(flow, run_id)
    if run is None:
        raise OperateError(f"there is no run {flow}/{run_id}; list the runs with `sfnflow runs {flow}`.")
    tasks = metadata.list_tasks(flow, run_id)
    failures = [t for t in tasks if t.status == ATTEMPT_FAILED]
    return RunReport(run=run, steps=step_progress(tasks), failures=failures)
