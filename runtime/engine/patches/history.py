"""History: a lean recorder instead of moto's full execution history.

moto builds a dict per history event, for every Map iteration; a wide fan-out spends
much of its time there. With `hooks.stats` set, every event is measured (state
input/output sizes, what Step Functions' 256 KiB quota counts) and, with
`hooks.lean_history`, only the events worth reading are kept (failures, execution and
map-run start and end); otherwise moto records as usual and the sizes are measured too.
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from typing import Any, Callable

from .registry import REGISTRY

__all__ = ["HISTORY", "HistoryStats"]

HISTORY = "history"

# Event types the lean recorder keeps as full history events (everything else is counted).
_KEPT_SUFFIXES = ("Failed", "TimedOut", "Aborted")
_KEPT_TYPES = {"ExecutionStarted", "ExecutionSucceeded", "MapRunStarted", "MapRunSucceeded"}
_EVENTS = "moto.stepfunctions.parser.asl.eval.event.event_manager"


@dataclass
class HistoryStats:
    """What the lean recorder measured about one execution (all of its frames and map runs)."""

    events: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    max_input_bytes: int = 0
    max_output_bytes: int = 0
    max_input_state: str = ""
    max_output_state: str = ""
    kept: list[dict[str, Any]] = field(default_factory=list)
    # (key, kind, state, error) lines when the engine traces (trace.py), else None
    trace: list[tuple[Any, str, str, str]] | None = None

    def record(self, key: Any, kind: str, state: str, error: str = "") -> None:
        if self.trace is not None:
            self.trace.append((key, kind, state, error))  # list.append: atomic under the GIL

    def observe(self, event_type: str, details: dict[str, Any] | None) -> None:
        self.events += 1
        self.by_type[event_type] = self.by_type.get(event_type, 0) + 1
        if not details:
            return
        body = next(iter(details.values()))
        if not isinstance(body, dict):
            return
        # Sizes are UTF-8 bytes, what Step Functions' 256 KiB state quota counts.
        text = body.get("input")
        if isinstance(text, str):
            size = len(text) if text.isascii() else len(text.encode("utf-8"))
            if size > self.max_input_bytes:
                self.max_input_bytes, self.max_input_state = size, str(body.get("name", event_type))
        text = body.get("output")
        if isinstance(text, str):
            size = len(text) if text.isascii() else len(text.encode("utf-8"))
            if size > self.max_output_bytes:
                self.max_output_bytes, self.max_output_state = size, str(body.get("name", event_type))


def _type_name(event_type: Any) -> str:
    return str(getattr(event_type, "value", event_type))


@REGISTRY.replaces(_EVENTS, "EventManager.add_event", group=HISTORY)
def _lean_add_event(original: Callable[..., int], hooks: Any) -> Callable[..., int]:
    def add_event(self: Any, context: Any, event_type: Any, event_details: Any = None,
                  timestamp: Any = None, update_source_event_id: bool = True) -> int:
        stats = hooks.stats
        if stats is None or not hooks.lean_history:
            event_id: int = original(self, context, event_type, event_details, timestamp, update_source_event_id)
            if stats is not None:
                stats.observe(_type_name(event_type), event_details)
            return event_id
        with self._mutex:
            event_id = self._event_id_gen.get()
            source_event_id = context.source_event_id
            context.last_published_event_id = event_id
            if update_source_event_id:
                context.source_event_id = event_id
            name = _type_name(event_type)
            stats.observe(name, event_details)
            if name in _KEPT_TYPES or name.endswith(_KEPT_SUFFIXES):
                event = dict(event_details or {})
                event.update(id=event_id, previousEventId=source_event_id, type=event_type,
                             timestamp=_time.time())
                stats.kept.append(event)
        return event_id

    return add_event


REGISTRY.relies_on(HISTORY, _EVENTS, "EventManager._event_id_gen")
