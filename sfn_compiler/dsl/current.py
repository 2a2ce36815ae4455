"""`current`: what a running step can ask about itself (Metaflow's `current`).

Filled in by the task runtime before a step runs and cleared after; outside a run its
fields are None. `current.run` and `current.task` are client objects: the client lives
in `sfnflow`, which registers `client_factory` when it is imported (this package stays
standard-library only).
"""
from __future__ import annotations

from typing import Any, Callable

from .cards import CardCollector

# Set by `sfnflow`: client_factory("Run" | "Task", pathspec) -> the client object.
client_factory: Callable[[str, str], Any] | None = None


class Current:
    """Filled in by the task runtime before a step runs; empty outside a run."""

    _FIELDS = (
        "flow_name", "run_id", "step_name", "task_id", "retry_count", "origin_run_id",
        "username", "tags", "parameter_names", "is_running_locally", "is_running_on_lambda",
        "is_running_on_batch", "parallel", "_graph",
    )

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        for name in self._FIELDS:
            setattr(self, name, None)
        self.tags = frozenset()
        self.parameter_names = []
        self.card = CardCollector()  # what the step adds to its @card (sfn_compiler/dsl/cards.py)
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
    def namespace(self) -> str | None:
        """`user:<name>`, the namespace Metaflow's client starts in for this user."""
        return f"user:{self.username}" if self.username else None

    @property
    def is_running_flow(self) -> bool:
        return self.flow_name is not None

    @property
    def graph(self) -> Any:
        """The flow's graph as Metaflow describes it (steps, types, next, decorators, structure)."""
        graph = self._graph
        return graph() if callable(graph) else graph

    @property
    def run(self) -> Any:
        return self._client("Run", f"{self.flow_name}/{self.run_id}")

    @property
    def task(self) -> Any:
        return self._client("Task", self.pathspec)

    def _client(self, kind: str, pathspec: str | None) -> Any:
        if self.flow_name is None or pathspec is None or client_factory is None:
            return None
        return client_factory(kind, pathspec)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default) if self.is_running_flow else default

    def __contains__(self, key: str) -> bool:
        return self.is_running_flow and getattr(self, key, None) is not None


current = Current()
