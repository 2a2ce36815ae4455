"""What an interpreted execution records: event counts, state sizes, the events worth
keeping, and (on request) a trace of the states each branch entered.

The event types are Step Functions' (TaskStateEntered, TaskScheduled, MapIterationStarted,
MapRunFailed, ...), so results read like moto's lean history did. Sizes are the UTF-8
bytes of each state's input and output as compact JSON, what the 256 KiB state quota
counts; they are measured on every state entered and exited.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from .paths import to_json

__all__ = ["History", "TraceKey"]

# Kept as whole events (the rest are only counted).
_KEPT_SUFFIXES = ("Failed", "TimedOut", "Aborted")
_KEPT_TYPES = frozenset({"ExecutionStarted", "ExecutionSucceeded", "MapRunStarted", "MapRunSucceeded"})

TraceKey = tuple[str, tuple[int, ...]]  # (branch id, Map item indices from the outermost Map in)


class History:
    """Thread-safe; one per execution. `trace` is None unless tracing was asked for."""

    def __init__(self, trace: bool = False, keep_all: bool = False) -> None:
        self.events = 0
        self.by_type: dict[str, int] = {}
        self.max_input_bytes = 0
        self.max_output_bytes = 0
        self.max_input_state = ""
        self.max_output_state = ""
        self.kept: list[dict[str, Any]] = []
        self.trace: list[tuple[TraceKey, str, str, str]] | None = [] if trace else None
        self._keep_all = keep_all  # every event, not only those worth reading (debugging)
        self._lock = threading.Lock()

    def add(self, event_type: str, details: dict[str, Any] | None = None) -> None:
        with self._lock:
            self.events += 1
            self.by_type[event_type] = self.by_type.get(event_type, 0) + 1
            if details is not None or event_type in _KEPT_TYPES or self._keep_all:
                if self._keep_all or event_type in _KEPT_TYPES or event_type.endswith(_KEPT_SUFFIXES):
                    event = {"type": event_type, "id": self.events, "timestamp": time.time()}
                    if details:
                        event.update(details)
                    self.kept.append(event)

    def count(self, *event_types: str) -> None:
        """Count events that carry nothing worth keeping (the common case, one lock round)."""
        with self._lock:
            self.events += len(event_types)
            by_type = self.by_type
            for t in event_types:
                by_type[t] = by_type.get(t, 0) + 1
                if self._keep_all:
                    self.kept.append({"type": t, "id": self.events, "timestamp": time.time()})

    def measure_input(self, state: str, value: Any) -> None:
        size = _size(value)
        if size > self.max_input_bytes:
            with self._lock:
                if size > self.max_input_bytes:
                    self.max_input_bytes, self.max_input_state = size, state

    def measure_output(self, state: str, value: Any) -> None:
        size = _size(value)
        if size > self.max_output_bytes:
            with self._lock:
                if size > self.max_output_bytes:
                    self.max_output_bytes, self.max_output_state = size, state

    def record(self, key: TraceKey, kind: str, state: str, error: str = "") -> None:
        """One trace line: kind is entered | retried | caught | failed."""
        trace = self.trace
        if trace is not None:
            with self._lock:
                trace.append((key, kind, state, error))

    def __repr__(self) -> str:
        return (f"History(events={self.events}, max_input_bytes={self.max_input_bytes} ({self.max_input_state}), "
                f"max_output_bytes={self.max_output_bytes} ({self.max_output_state}), by_type={self.by_type})")


def _size(value: Any) -> int:
    text = to_json(value)
    return len(text) if text.isascii() else len(text.encode("utf-8"))
