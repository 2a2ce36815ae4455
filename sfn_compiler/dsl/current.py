"""`current`: what a running step can ask about itself (Metaflow's `current`)."""
from __future__ import annotations

from typing import Any


class Current:
    """Filled in by the task runtime before a step runs; empty outside a run."""

    _FIELDS = (
        "flow_name", "run_id", "step_name", "task_id", "retry_count", "origin_run_id",
        "namespace", "username", "tags", "is_running_locally", "is_running_on_lambda",
        "is_running_on_batch",
    )

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        for name in self._FIELDS:
            setattr(self, name, None)
        self.tags = ()
        self.retry_count = 0
        self.is_running_locally = self.is_running_on_lambda = self.is_running_on_batch = False

    def _set(self, **values: Any) -> None:
        self._clear()
        for name, value in values.items():
            if name not in self._FIELDS:
                raise AttributeError(f"current has no field {name!r}")
            setattr(self, name, value)

    @property
    def pathspec(self) -> str | None:
        if self.flow_name is None:
            return None
        return f"{self.flow_name}/{self.run_id}/{self.step_name}/{self.task_id}"

    @property
    def is_running_flow(self) -> bool:
        return self.flow_name is not None


current = Current()
