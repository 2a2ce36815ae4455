"""The embedded engine: run a compiled state machine locally, fast, with no AWS and no Docker.

Two interpreters run the same compiled ASL (placeholders filled with the engine's routing
ARNs) behind one face; Task states on those ARNs go to a pool of warm local worker
processes (runtime/engine/workers.py):

* "interp" (default): the small interpreter of the ASL subset the compiler emits
  (runtime/engine/interp/, interp_engine.py). No moto, no boto3: starts in milliseconds.
* "moto": moto's Step Functions interpreter with sfnflow's patches (moto_engine.py);
  the oracle the interpreter is tested against, and a fallback for ASL it does not run.

Pick one with `LocalEngine(engine="moto")` or the environment variable
SFNFLOW_LOCAL_ENGINE=moto (also honoured by `sfnflow run` and `resume`).

    with LocalEngine(max_workers=2, flow_file="flow.py", root=".sfnflow") as engine:
        result = engine.run(compiled.asl, model=compiled.model, run_id="r1",
                            execution_input={"parameters": {}}, on_event=print)
        result.status, result.error, result.history.max_input_bytes

The ASL's `${...}` placeholders are filled with routing ARNs (functions, job queues, job
definitions), the artifact bucket `${ArtifactBucket}` (a Distributed Map's ItemReader
reads the items a foreach task wrote to the local artifact store) and a routing table
`${MetadataTable}` for the state machine's own run-status writes (`dynamodb:updateItem`,
sfn_compiler/asl/status.py). Those writes are answered and dropped: a local run's true
status is recorded in the local (SQLite) store by sfnflow/local_run.py. One execution
runs at a time per engine.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from sfn_compiler.asl import arns
from sfn_compiler.contract import envelope as env_contract
from sfn_compiler.contract import task_config
from sfn_compiler.contract.placeholders import ResourceNames, fill_definition
from sfn_compiler.diagnostics import SfnflowError

from .env_pools import EnvironmentPools, PoolEnvironment
from .workers import Cancelled, Executor, PoolClosed, RunTaskExecutor, WorkerCrashed, WorkerError, WorkerPool

__all__ = ["ENGINES", "ENGINE_ENV", "EngineBase", "EventCallback", "ExecutionResult", "LocalEngine", "TaskEvent",
           "UnknownEngine", "engine_name"]

LOG = logging.getLogger(__name__)

ENGINE_ENV = task_config.ENV_LOCAL_ENGINE
ENGINES = ("interp", "moto")
ACCOUNT = "123456789012"  # moto's default account
ROUTE_PREFIX = "sfnflow-local-"
BUCKET = "sfnflow-local-artifacts"
TABLE = "sfnflow-local-metadata"  # routed: status writes to it are dropped (see above)

TaskEvent = str  # "started" | "succeeded" | "failed" | "cancelled"
EventCallback = Callable[..., None]  # on_event(kind, step, task, **info)


class UnknownEngine(SfnflowError, ValueError):
    """The local engine asked for is not one of ENGINES (a one-line message for the user)."""


def engine_name(engine: str | None = None) -> str:
    """`engine`, else $SFNFLOW_LOCAL_ENGINE, else "interp"; UnknownEngine for another name."""
    name = (engine or os.environ.get(ENGINE_ENV) or "interp").strip().lower()
    if name not in ENGINES:
        source = "engine=" if engine else f"{ENGINE_ENV}="
        raise UnknownEngine(f"unknown local engine {source}{name!r}: use one of {', '.join(ENGINES)} "
                            f"(unset {ENGINE_ENV} for the default, interp)")
    return name


def LocalEngine(executor: str | Executor | None = None, *, engine: str | None = None,  # noqa: N802 - the engine's name
                **options: Any) -> "EngineBase":
    """The embedded engine `engine_name(engine)` names; a context manager (see the module docstring).

    Arguments are EngineBase's; the interpreter also takes `map_bound` and `trace`.
    """
    if engine_name(engine) == "moto":
        from .moto_engine import MotoEngine

        return MotoEngine(executor, **options)
    from .interp_engine import InterpEngine

    return InterpEngine(executor, **options)


@dataclass
class ExecutionResult:
    """How one execution ended, and what the engine measured on the way."""

    status: str  # SUCCEEDED | FAILED | ABORTED | TIMED_OUT
    error: str | None
    cause: str | None
    output: Any
    duration: float  # seconds from the execution's start to its end
    run_id: str
    execution_arn: str
    history: Any  # events, by_type, max_*_bytes, kept events (interp.History / patches.HistoryStats)
    tasks: int = 0  # task invocations routed to workers (attempts included)
    task_failures: int = 0
    interrupted: bool = False  # engine.stop() ended it
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def max_state_bytes(self) -> int:
        return max(self.history.max_input_bytes, self.history.max_output_bytes)


class RunState:
    """One execution's routing state: its callback, where its items files are, counters."""

    __slots__ = ("on_event", "artifact_root", "tasks", "failures", "lock")

    def __init__(self, on_event: EventCallback | None, artifact_root: str | None) -> None:
        self.on_event, self.artifact_root = on_event, artifact_root
        self.tasks = self.failures = 0
        self.lock = threading.Lock()


class TaskError(Exception):
    """A task failed on its worker: `name` is the Step Functions error, `message` the cause."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


class TaskStopped(Exception):
    """A task was cancelled (timeout, stop, failed sibling): its worker was killed and replaced."""


class ItemsMissing(Exception):
    """A foreach said it wrote its items to the store, and the file is not there."""


class EngineBase:
    """What both engines share: the warm worker pool, the routing ARNs, filling the ASL's
    placeholders, and running one task envelope on a worker with its events."""

    engine = ""

    def __init__(self, executor: str | Executor | None = None, *, flow_file: str | None = None,
                 root: str | None = None, max_workers: int | None = None, preload: Sequence[str] = (),
                 artifact_root: str | None = None, fast_retries: bool = False, tee: bool = False,
                 lean_history: bool = True, region: str = "us-east-1",
                 environments: Sequence[PoolEnvironment] = (), default_pool: bool = True) -> None:
        """
        Args:
            executor: what a worker calls with each task's envelope payload (a callable that
                exists before the pool starts, or "module:function"); returns the task result.
                Default: runtime.task.run_task on `flow_file` against the local stores at `root`.
            flow_file: the flow's file, imported once in the workers (warm start).
            root: the local store root (`.sfnflow/`); also where foreach items files are read.
            max_workers: worker processes (default os.cpu_count()).
            preload: modules the workers import once, before any task.
            artifact_root: where foreach items files are read, if not `root`.
            tee: (default executor) also copy step output to the terminal.
            fast_retries: skip Retry IntervalSeconds sleeps (tests, local runs); real sleeps otherwise.
            lean_history: keep only failure/start/end events (sizes are still measured);
                False keeps every event (slower, for debugging).
            environments: steps that run in their own interpreter (@pypi/@conda venvs), each
                on its own pool of workers (env_pools.py); the other steps use `self.pool`.
            default_pool: False when every step runs in one of `environments` (no zygote).
        """
        self.region = region
        self.artifact_root = artifact_root or root
        self.fast_retries, self.lean_history = fast_retries, lean_history
        warm: Callable[[], None] | None = _flow_loader(flow_file) if flow_file else None
        preload = list(preload)
        if executor is None:
            if flow_file is None or root is None:
                raise ValueError("LocalEngine needs flow_file and root to run tasks with runtime.task.run_task")
            default = RunTaskExecutor(os.path.abspath(flow_file), os.path.abspath(root), tee=tee)
            executor, warm = default, default.warm
            preload.insert(0, "runtime.task")
        self.pool = WorkerPool(executor, max_workers, preload=preload, warm=warm)
        if environments and (flow_file is None or root is None or not isinstance(executor, RunTaskExecutor)):
            raise ValueError("LocalEngine runs step environments with the default executor only (flow_file and root)")
        self.pools = EnvironmentPools(self.pool, environments, flow_file=os.path.abspath(flow_file or "."),
                                      root=os.path.abspath(root or "."), tee=tee, max_workers=max_workers,
                                      default_needed=default_pool or not environments)
        self._lambda_prefix = arns.lambda_function_arn(region, ACCOUNT, ROUTE_PREFIX)
        self._queue_prefix = arns.job_queue_arn(region, ACCOUNT, ROUTE_PREFIX)

    def __enter__(self) -> "EngineBase":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- the definition -------------------------------------------------------------------------
    def fill_placeholders(self, asl: Mapping[str, Any] | str, model: Any) -> str:
        """The ASL text with every `${...}` of `model` (a DeploymentModel) filled with a routing
        ARN, the artifact bucket or the routed table (sfn_compiler.contract.placeholders)."""
        import json

        text = asl if isinstance(asl, str) else json.dumps(asl)
        if model is None:
            raise ValueError("the local engine needs the flow's deployment model to fill the ASL's placeholders "
                             "(pass model=..., or a CompiledFlow)")
        return fill_definition(text, model.placeholders, self.resource_names(model))

    def resource_names(self, model: Any) -> ResourceNames:
        """The engine's resources for `model`: every function, queue and job definition is routed."""
        def route(arn: Callable[[str, str, str], str], key: str) -> str:
            return arn(self.region, ACCOUNT, ROUTE_PREFIX + key)

        return ResourceNames(
            bucket=BUCKET, table=TABLE,
            functions={f.key: route(arns.lambda_function_arn, f.key) for f in model.functions},
            job_queues={j.queue: route(arns.job_queue_arn, j.queue) for j in model.job_definitions},
            job_definitions={j.key: route(arns.job_definition_arn, j.key) for j in model.job_definitions})

    def is_routed(self, kind: str, target: str) -> bool:
        """Whether a Task's target is the engine's: kind lambda (FunctionName), batch (JobQueue), dynamodb (TableName)."""
        if kind == "dynamodb":
            return target == TABLE
        return str(target).startswith(self._lambda_prefix if kind == "lambda" else self._queue_prefix)

    # -- one task on a worker ---------------------------------------------------------------------
    def handle_for(self, payload: dict[str, Any]) -> Any:
        """A cancellable place for this task in the pool of its step's environment."""
        return self.pools.pool_for(str(payload.get("step", "?"))).handle()

    def run_on_worker(self, run: RunState, kind: str, payload: dict[str, Any], handle: Any,
                      on_started: Callable[[], None] | None = None) -> Any:
        """Run one task envelope on its step's pool and report it (on_event); return its result.

        `handle` is handle_for(payload). Raises TaskError (the step raised, its worker
        crashed, its items file is missing) or TaskStopped (`handle` was cancelled, or the
        pool closed). `on_started` runs once a worker has taken the task.
        """
        step, task = str(payload.get("step", "?")), str(payload.get("task", "?"))
        pool = self.pools.pool_for(step)
        info = {"attempt": payload.get("attempt", 0), "compute": kind}

        def on_start() -> None:
            _emit(run, "started", step, task, info)
            if on_started is not None:
                on_started()

        t0 = time.perf_counter()
        with run.lock:
            run.tasks += 1
        try:
            result = pool.call(payload, handle, on_start=on_start)
            if _writes_items_file(result):
                self.items_written(run, env_contract.foreach_items_key(
                    str(payload["flow"]), str(payload["run"]), str(payload["step"]), str(payload["task"])))
        except (Cancelled, PoolClosed):
            _emit(run, "cancelled", step, task, info)
            raise TaskStopped(f"{step}/{task}") from None
        except (WorkerError, WorkerCrashed, ItemsMissing) as exc:
            name = exc.name if isinstance(exc, WorkerError) else env_contract.PLATFORM_ERROR
            message = exc.message if isinstance(exc, WorkerError) else str(exc)
            with run.lock:
                run.failures += 1
            _emit(run, "failed", step, task, {**info, "error": name, "cause": message,
                                              "seconds": time.perf_counter() - t0})
            raise TaskError(name, message) from None
        _emit(run, "succeeded", step, task, {**info, "seconds": time.perf_counter() - t0})
        return result

    def items_written(self, run: RunState, key: str) -> None:
        """A foreach wrote its items to `key` of the artifact store: make them readable by
        the Distributed Map's ItemReader; ItemsMissing if the file is not there."""
        raise NotImplementedError

    @staticmethod
    def items_path(run: RunState, key: str) -> str:
        if run.artifact_root is None:
            raise ItemsMissing(f"foreach step wrote its items to the artifact store, but the engine has no "
                               f"artifact_root to read {key} from")
        return os.path.join(run.artifact_root, key)


def _writes_items_file(result: Any) -> bool:
    """A foreach result {"n": N, "items": None}: the items are in the artifact store, not the state."""
    return isinstance(result, dict) and "n" in result and "items" in result and result["items"] is None


def _emit(run: RunState, kind: str, step: str, task: str, info: dict[str, Any]) -> None:
    if run.on_event is None:
        return
    try:
        run.on_event(kind, step, task, **info)
    except Exception:  # a display bug must not fail the run
        LOG.warning("on_event callback failed", exc_info=True)


def _flow_loader(flow_file: str) -> Callable[[], None]:
    def load() -> None:
        from sfn_compiler.loader import load_module

        load_module(flow_file)

    return load
