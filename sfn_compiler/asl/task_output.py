"""What a Lambda step's Task state outputs, so the console's execution view leads somewhere.

A plain step's Lambda returns where its task lives (runtime/task.py, `task_info`):

    {"pathspec": "Flow/run/step/task", "artifacts": "s3://bucket/Flow/run/step/task/",
     "logs": "sfnflow logs Flow/run/step/task"}

and its Task state keeps that under `task` next to the pointers (`{"run", "p", "task":
{"info": {...}}}`), replacing the previous step's: the state stays a few hundred bytes,
whatever the fan-out. The whole Payload is selected (not its fields one by one), so a
task that returns less (an older runtime, a test double) cannot fail the state with a
missing path. Foreach and switch steps keep their own selectors (their results steer the
machine); Batch tasks keep `ResultPath: null` (`.sync` returns the job, not the task's result).
"""
from __future__ import annotations

from typing import Any

__all__ = ["TASK_INFO_PATH", "task_info_selector"]

TASK_INFO_PATH = "$.task"


def task_info_selector() -> dict[str, Any]:
    return {"info.$": "$.Payload"}
