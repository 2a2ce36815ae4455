"""In-process stand-ins for the engine: Workers that run Python functions on the calling
thread, so the interpreter's semantics are tested without worker processes."""
from __future__ import annotations

import threading
from typing import Any, Callable

from runtime.engine.interp import (Cancelled, Execution, History, Services, StatesError, Threads,
                                   load_definition)

FN = "arn:aws:lambda:us-east-1:123456789012:function:fn"
TABLE = "table"
BUCKET = "bucket"


class Handle:
    def __init__(self) -> None:
        self.event = threading.Event()

    def cancel(self) -> None:
        self.event.set()


class FakeWorkers:
    """`tasks` maps a payload's "step" to fn(payload) -> result (raise StatesError to fail;
    return BLOCK to wait until cancelled or timed out)."""

    BLOCK = object()

    def __init__(self, tasks: dict[str, Callable[[dict[str, Any]], Any]] | None = None,
                 objects: dict[str, bytes] | None = None) -> None:
        self.tasks = tasks or {}
        self.objects = objects or {}
        self.calls: list[dict[str, Any]] = []
        self.blocked_ended: list[str] = []  # how each BLOCKed task ended: "cancelled" | "timed out"
        self.lock = threading.Lock()

    def is_routed(self, kind: str, target: str) -> bool:
        return target in (FN, TABLE) or target.startswith("arn:aws:batch")

    def submit(self, kind: str, payload: dict[str, Any], scope: Any, timeout: float | None) -> Any:
        with self.lock:
            self.calls.append(payload)
        fn = self.tasks.get(str(payload.get("step")), lambda p: {"echo": p})
        result = fn(payload)
        if result is FakeWorkers.BLOCK:
            handle = Handle()
            scope.attach(handle)
            try:
                if not handle.event.wait(timeout if timeout is not None else 30):
                    self.blocked_ended.append("timed out")
                    raise StatesError("States.Timeout", "")
                self.blocked_ended.append("cancelled")
                raise Cancelled()
            finally:
                scope.detach(handle)
        return result

    def read_object(self, bucket: str, key: str) -> bytes:
        if bucket != BUCKET or key not in self.objects:
            raise FileNotFoundError(key)
        return self.objects[key]


def task(step: str, nxt: str | None = None, **extra: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                             "Parameters": {"FunctionName": FN, "Payload": {"step": step, "input.$": "$",
                                                                             "attempt.$": "$$.State.RetryCount"}}}
    state.update(extra)
    if nxt is None:
        state["End"] = True
    else:
        state["Next"] = nxt
    return state


def run(asl: dict[str, Any], input: Any = None, workers: FakeWorkers | None = None, *, name: str = "run1",
        map_bound: int = 3, trace: bool = True) -> tuple[Any, FakeWorkers, History]:
    workers = workers or FakeWorkers()
    history = History(trace=trace)
    threads = Threads()
    try:
        outcome = Execution(load_definition(asl), name=name, input={} if input is None else input,
                            services=Services(workers), threads=threads, history=history, map_bound=map_bound,
                            fast_retries=True).run()
    finally:
        threads.close()
    return outcome, workers, history


def entered(history: History, branch: str = "") -> list[str]:
    return [state for (key, kind, state, _) in history.trace or [] if kind == "entered" and key[0] == branch]
