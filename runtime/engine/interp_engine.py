"""The embedded engine on the small interpreter (runtime/engine/interp/): no moto, no boto3.

Same face as the moto engine (start / run / stop / close, the same ExecutionResult and
on_event callbacks) and the same warm worker pool: Task states on the engine's routing
ARNs run there, the run-status writes to the routed table are answered and dropped, and a
Distributed Map's ItemReader reads the foreach items file straight from the local
artifact store. The definition it runs is the compiled ASL with its placeholders filled,
exactly as the moto engine gets it.

The execution runs on an interpreter thread; the calling thread waits for it, so Ctrl-C
lands there and aborts the run (ABORTED), as with the moto engine.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Mapping

from .interp import Cancelled as InterpCancelled
from .interp import Execution, History, Services, StatesError, Threads, Timers, load_definition
from .interp.errors import TIMEOUT
from .local import (ACCOUNT, BUCKET, ROUTE_PREFIX, EngineBase, EventCallback, ExecutionResult, ItemsMissing,
                    RunState, TaskError, TaskStopped)

__all__ = ["InterpEngine"]

MACHINE = f"{ROUTE_PREFIX}machine"


class InterpEngine(EngineBase):
    """Context manager owning the warm worker pool and the interpreter's threads."""

    engine = "interp"

    def __init__(self, *args: Any, map_bound: int | None = None, trace: bool = False, **kwargs: Any) -> None:
        """EngineBase's arguments, plus:

            map_bound: most Map items run at once (default: twice the pool size, so a
                worker never waits for the engine to hand it its next item).
            trace: record the states each branch entered (History.trace; the oracle tests).
        """
        super().__init__(*args, **kwargs)
        self.map_bound = map_bound or 2 * self.pool.max_workers
        self.trace = trace
        self._threads: Threads | None = None
        self._timers: Timers | None = None
        self._execution: Execution | None = None
        self._stopped = threading.Event()
        self._objects: dict[str, bytes] = {}

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self.pools.start()  # fork the workers before this process starts threads
        self._threads, self._timers = Threads(), Timers()

    def close(self) -> None:
        """Stop any running execution, the workers and the interpreter's threads."""
        try:
            self.stop()
        finally:
            if self._threads is not None:
                self._threads.close()
            if self._timers is not None:
                self._timers.close()

    def stop(self) -> None:
        """Abort the running execution (ABORTED) and terminate the workers; safe from any thread."""
        self._stopped.set()
        execution = self._execution
        if execution is not None:
            execution.stop()
        self.pools.close()

    # -- running ------------------------------------------------------------------------------
    def run(self, asl: Any, *, run_id: str, execution_input: Mapping[str, Any] | None = None, model: Any = None,
            on_event: EventCallback | None = None, artifact_root: str | None = None) -> ExecutionResult:
        """Run one execution named `run_id` to its end and return how it ended.

        `asl` is an ASL dict or text with its DeploymentModel `model`, or a CompiledFlow.
        Raises interp.DefinitionError before anything runs if the ASL needs more than this
        interpreter runs. Ctrl-C while it runs aborts the execution, terminates the workers
        and re-raises KeyboardInterrupt; `stop()` from another thread makes it return a
        result with status ABORTED and `interrupted=True`.
        """
        if self._threads is None or self._stopped.is_set():
            raise RuntimeError("the LocalEngine is not running (use it as a context manager)")
        if hasattr(asl, "asl") and hasattr(asl, "model"):
            asl, model = asl.asl, model or asl.model
        definition = load_definition(self.fill_placeholders(asl, model))
        run = RunState(on_event, artifact_root or self.artifact_root)
        history = History(trace=self.trace, keep_all=not self.lean_history)
        # A JSON copy: the execution's input is its own, as if it had crossed the API.
        execution_input = json.loads(json.dumps(dict(execution_input or {})))
        execution = Execution(definition, name=run_id, input=execution_input,
                              services=Services(_Workers(self, run)), threads=self._threads, history=history,
                              map_bound=self.map_bound, fast_retries=self.fast_retries, machine_name=MACHINE,
                              region=self.region, account=ACCOUNT)
        self._execution = execution
        outcome: list[Any] = []
        started = time.perf_counter()
        done = self._threads.submit(lambda: outcome.append(execution.run()))
        try:
            done.wait()
        except KeyboardInterrupt:
            self.stop()
            self._execution = None
            raise
        self._execution = None
        end = outcome[0]
        return ExecutionResult(
            status=end.status, error=end.error, cause=end.cause, output=end.output,
            duration=time.perf_counter() - started, run_id=run_id, execution_arn=execution.arn, history=history,
            tasks=run.tasks, task_failures=run.failures, interrupted=self._stopped.is_set())

    def put_object(self, key: str, body: bytes) -> None:
        """Put an object in the (local) artifact bucket, ahead of the artifact store's files."""
        self._objects[key] = bytes(body)

    def items_written(self, run: RunState, key: str) -> None:
        if key in self._objects:
            return
        import os

        path = self.items_path(run, key)
        if not os.path.isfile(path):
            raise ItemsMissing(f"foreach items file {path} is missing")

    def read_object(self, run: RunState, bucket: str, key: str) -> bytes:
        if bucket != BUCKET:
            raise FileNotFoundError(f"bucket {bucket} is not the local artifact bucket")
        body = self._objects.get(key)
        if body is not None:
            return body
        with open(self.items_path(run, key), "rb") as f:
            return f.read()


class _Workers:
    """The interpreter's `Workers` seam for one execution: tasks go to the engine's pool."""

    __slots__ = ("engine", "run")

    def __init__(self, engine: InterpEngine, run: RunState) -> None:
        self.engine, self.run = engine, run

    def is_routed(self, kind: str, target: str) -> bool:
        return self.engine.is_routed(kind, target)

    def submit(self, kind: str, payload: dict[str, Any], scope: Any, timeout: float | None) -> Any:
        engine = self.engine
        handle = engine.handle_for(payload)
        timer: list[Any] = []
        timed_out: list[bool] = []

        def expire() -> None:
            timed_out.append(True)
            handle.cancel()  # kills the worker; pool.call then raises Cancelled

        def on_started() -> None:  # TimeoutSeconds counts from the task's start, not its wait for a worker
            if timeout is not None and engine._timers is not None:
                timer.append(engine._timers.after(timeout, expire))

        scope.attach(handle)  # a stop or a failed sibling cancels it (kills its worker)
        try:
            return engine.run_on_worker(self.run, kind, payload, handle, on_started)
        except TaskStopped:
            if timed_out:
                raise StatesError(TIMEOUT, "") from None
            raise InterpCancelled() from None
        except TaskError as exc:
            raise StatesError(exc.name, exc.message) from None
        finally:
            if timer:
                Timers.cancel(timer[0])
            scope.detach(handle)

    def read_object(self, bucket: str, key: str) -> bytes:
        try:
            return self.engine.read_object(self.run, bucket, key)
        except ItemsMissing as exc:
            raise FileNotFoundError(str(exc)) from None
