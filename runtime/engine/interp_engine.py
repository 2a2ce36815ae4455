"""The embedded engine on the small interpreter (runtime/engine/interp/): no moto, no boto3.

Same face as the moto-backed engine (start / run / stop / close, the same ExecutionResult
and on_event callbacks), same warm worker pool: Task states whose function or job queue
is one of the engine's routing ARNs run there, the run-status writes to the routed table
are answered and dropped, and a Distributed Map's ItemReader reads the foreach items file
straight from the local artifact store. The definition it runs is the compiled ASL with
its placeholders filled, exactly as the moto engine gets it.

The execution runs on an interpreter thread; the calling thread waits for it, so Ctrl-C
lands there and aborts the run (ABORTED), as with the moto engine.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any, Callable, Mapping, Sequence

from sfn_compiler import envelope as env_contract
from sfn_compiler.asl import arns

from .interp import Cancelled as InterpCancelled
from .interp import DefinitionError, Execution, History, Services, StatesError, Threads, Timers, load_definition
from .interp.errors import TIMEOUT
from .local import ACCOUNT, BUCKET, ROUTE_PREFIX, TABLE, EventCallback, ExecutionResult, _flow_loader
from .workers import Cancelled, Executor, PoolClosed, RunTaskExecutor, WorkerCrashed, WorkerError, WorkerPool

__all__ = ["InterpEngine"]

LOG = logging.getLogger(__name__)
MACHINE = f"{ROUTE_PREFIX}machine"


class _Run:
    """One execution's routing state: its callback, where its items files are, counters."""

    __slots__ = ("on_event", "artifact_root", "tasks", "failures", "lock")

    def __init__(self, on_event: EventCallback | None, artifact_root: str | None) -> None:
        self.on_event, self.artifact_root = on_event, artifact_root
        self.tasks = self.failures = 0
        self.lock = threading.Lock()


class InterpEngine:
    """Context manager owning the warm worker pool and the interpreter's threads."""

    engine = "interp"

    def __init__(self, executor: str | Executor | None = None, *, flow_file: str | None = None,
                 root: str | None = None, max_workers: int | None = None, preload: Sequence[str] = (),
                 artifact_root: str | None = None, fast_retries: bool = False, tee: bool = False,
                 lean_history: bool = True, region: str = "us-east-1", map_bound: int | None = None,
                 trace: bool = False) -> None:
        """Arguments as the moto engine's (`lean_history` is accepted and has nothing to do:
        the interpreter always keeps a lean history), plus:

            map_bound: most Map items run at once (default: twice the pool size, so a
                worker never waits for the engine to hand it the next item).
            trace: record the states each branch entered (History.trace; tests).
        """
        self.region = region
        self.artifact_root = artifact_root or root
        self.fast_retries, self.trace = fast_retries, trace
        warm: Callable[[], None] | None = _flow_loader(flow_file) if flow_file else None
        preload = list(preload)
        if executor is None:
            if flow_file is None or root is None:
                raise ValueError("the local engine needs flow_file and root to run tasks with runtime.task.run_task")
            default = RunTaskExecutor(os.path.abspath(flow_file), os.path.abspath(root), tee=tee)
            executor, warm = default, default.warm
            preload.insert(0, "runtime.task")
        self.pool = WorkerPool(executor, max_workers, preload=preload, warm=warm)
        self.map_bound = map_bound or 2 * self.pool.max_workers
        self._lambda_prefix = arns.lambda_function_arn(region, ACCOUNT, ROUTE_PREFIX)
        self._queue_prefix = arns.job_queue_arn(region, ACCOUNT, ROUTE_PREFIX)
        self._threads: Threads | None = None
        self._timers: Timers | None = None
        self._execution: Execution | None = None
        self._stopped = threading.Event()
        self._objects: dict[str, bytes] = {}

    # -- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> "InterpEngine":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self.pool.start()  # fork the workers before this process starts threads
        self._threads, self._timers = Threads(), Timers()

    def close(self) -> None:
        """Stop any running execution, the workers and the interpreter's threads."""
        self.stop()
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
        self.pool.close()

    # -- running ------------------------------------------------------------------------------
    def run(self, asl: Any, *, run_id: str, execution_input: Mapping[str, Any] | None = None,
            placeholders: Mapping[str, str] | None = None, model: Any = None,
            on_event: EventCallback | None = None, artifact_root: str | None = None) -> ExecutionResult:
        """Run one execution named `run_id` to its end (see the moto engine's run())."""
        if self._threads is None or self._stopped.is_set():
            raise RuntimeError("the local engine is not running (use it as a context manager)")
        if hasattr(asl, "asl") and hasattr(asl, "model"):
            asl, model = asl.asl, model or asl.model
        definition = load_definition(self.fill_placeholders(asl, placeholders, model))
        run = _Run(on_event, artifact_root or self.artifact_root)
        history = History(trace=self.trace)
        execution = Execution(definition, name=run_id, input=json.loads(json.dumps(dict(execution_input or {}))),
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
            # Ctrl-C: abort the execution, kill the workers, let the caller see the interrupt.
            self.stop()
            self._execution = None
            raise
        self._execution = None
        duration = time.perf_counter() - started
        end = outcome[0]
        return ExecutionResult(
            status=end.status, error=end.error, cause=end.cause, output=end.output, duration=duration,
            run_id=run_id, execution_arn=execution.arn, history=history, tasks=run.tasks,
            task_failures=run.failures, interrupted=self._stopped.is_set())

    def fill_placeholders(self, asl: Mapping[str, Any] | str, placeholders: Mapping[str, str] | None = None,
                          model: Any = None) -> str:
        """The ASL text with every `${...}` filled with a routing ARN, the bucket, the table, or `placeholders`."""
        text = asl if isinstance(asl, str) else json.dumps(asl)
        values = dict(placeholders or {})
        kinds = {p.name: (p.kind, p.ref) for p in getattr(model, "placeholders", ())}
        unknown = []
        for name in arns.placeholders_in(text):
            if name in values:
                continue
            value = self._route_value(name, *kinds.get(name, ("", "")))
            if value is None:
                unknown.append(name)
            else:
                values[name] = value
        if unknown:
            raise ValueError(f"the local engine cannot fill placeholder(s) {', '.join(unknown)}; "
                             "pass values with placeholders={...}")
        return arns.substitute(text, values)

    def _route_value(self, name: str, kind: str, ref: str) -> str | None:
        head, _, tail = name.partition("_")
        ref = ref or tail
        if kind == arns.KIND_BUCKET or name == arns.ARTIFACT_BUCKET:
            return BUCKET
        if kind == arns.KIND_TABLE or name == arns.METADATA_TABLE:
            return TABLE
        if kind == arns.KIND_LAMBDA_FUNCTION or (not kind and head == "Function"):
            return arns.lambda_function_arn(self.region, ACCOUNT, ROUTE_PREFIX + ref)
        if kind == arns.KIND_JOB_QUEUE or (not kind and head == "JobQueue"):
            return arns.job_queue_arn(self.region, ACCOUNT, ROUTE_PREFIX + ref)
        if kind == arns.KIND_JOB_DEFINITION or (not kind and head == "JobDefinition"):
            return arns.job_definition_arn(self.region, ACCOUNT, ROUTE_PREFIX + ref)
        return None

    def put_object(self, key: str, body: bytes) -> None:
        """Put an object in the (local) artifact bucket, ahead of the artifact store's files."""
        self._objects[key] = bytes(body)

    def is_routed(self, kind: str, target: str) -> bool:
        if kind == "dynamodb":
            return target == TABLE
        return target.startswith(self._lambda_prefix if kind == "lambda" else self._queue_prefix)


class _Workers:
    """The interpreter's `Workers` seam for one execution: tasks go to the engine's pool."""

    __slots__ = ("engine", "run")

    def __init__(self, engine: InterpEngine, run: _Run) -> None:
        self.engine, self.run = engine, run

    def is_routed(self, kind: str, target: str) -> bool:
        return self.engine.is_routed(kind, target)

    def submit(self, kind: str, payload: dict[str, Any], scope: Any, timeout: float | None) -> Any:
        engine, run = self.engine, self.run
        pool, timers = engine.pool, engine._timers
        step, task = str(payload.get("step", "?")), str(payload.get("task", "?"))
        info = {"attempt": payload.get("attempt", 0), "compute": kind}
        handle = pool.handle()
        timer: list[Any] = []
        timed_out: list[bool] = []

        def expire() -> None:
            timed_out.append(True)
            handle.cancel()

        def on_start() -> None:
            _emit(run, "started", step, task, info)
            if timeout is not None and timers is not None:
                timer.append(timers.after(timeout, expire))

        with run.lock:
            run.tasks += 1
        scope.attach(handle)  # a stop or a failed sibling cancels it (kills its worker)
        t0 = time.perf_counter()
        try:
            result = pool.call(payload, handle, on_start=on_start)
            if _writes_items_file(result):
                self._check_items(payload)
        except (Cancelled, PoolClosed):
            _emit(run, "cancelled", step, task, info)
            if timed_out:
                raise StatesError(TIMEOUT, "") from None
            raise InterpCancelled() from None
        except (WorkerError, WorkerCrashed, _ItemsMissing) as exc:
            name = exc.name if isinstance(exc, WorkerError) else env_contract.PLATFORM_ERROR
            message = exc.message if isinstance(exc, WorkerError) else str(exc)
            with run.lock:
                run.failures += 1
            _emit(run, "failed", step, task, {**info, "error": name, "cause": message,
                                              "seconds": time.perf_counter() - t0})
            raise StatesError(name, message) from None
        finally:
            if timer:
                Timers.cancel(timer[0])
            scope.detach(handle)
        _emit(run, "succeeded", step, task, {**info, "seconds": time.perf_counter() - t0})
        return result

    def _check_items(self, payload: dict[str, Any]) -> None:
        """A foreach that wrote its items to the store: the Distributed Map will read them."""
        key = env_contract.foreach_items_key(str(payload["flow"]), str(payload["run"]), str(payload["step"]),
                                             str(payload["task"]))
        if key in self.engine._objects:
            return
        root = self.run.artifact_root
        if root is None:
            raise _ItemsMissing(f"foreach step wrote its items to the artifact store, but the engine has no "
                                f"artifact_root to read {key} from")
        path = os.path.join(root, key)
        if not os.path.isfile(path):
            raise _ItemsMissing(f"foreach items file {path} is missing")

    def read_object(self, bucket: str, key: str) -> bytes:
        if bucket != BUCKET:
            raise FileNotFoundError(f"bucket {bucket} is not the local artifact bucket")
        body = self.engine._objects.get(key)
        if body is not None:
            return body
        if self.run.artifact_root is None:
            raise FileNotFoundError("the engine has no artifact_root")
        with open(os.path.join(self.run.artifact_root, key), "rb") as f:
            return f.read()


class _ItemsMissing(Exception):
    pass


def _writes_items_file(result: Any) -> bool:
    """A foreach result {"n": N, "items": None}: the items are in the artifact store, not the state."""
    return isinstance(result, dict) and "n" in result and "items" in result and result["items"] is None


def _emit(run: _Run, kind: str, step: str, task: str, info: dict[str, Any]) -> None:
    if run.on_event is None:
        return
    try:
        run.on_event(kind, step, task, **info)
    except Exception:  # a display bug must not fail the run
        LOG.warning("on_event callback failed", exc_info=True)


__all__ += ["DefinitionError"]
