"""The embedded engine: run a compiled state machine locally, fast, with no AWS and no Docker.

moto's Step Functions interpreter executes the ASL unchanged; Task states that invoke a
Lambda function or submit a Batch job through one of the engine's routing ARNs run on a
pool of warm local worker processes (runtime/engine/workers.py), through the patches in
runtime/engine/patches/ (installed while the engine is open, removed when it closes).
One engine per process at a time, one execution at a time per engine.

    with LocalEngine(max_workers=2, flow_file="flow.py", artifact_root=".sfnflow") as engine:
        result = engine.run(compiled.asl, model=compiled.model, run_id="r1",
                            execution_input={"parameters": {}}, on_event=print)
        result.status, result.error, result.history.max_input_bytes

The ASL's `${...}` placeholders are filled with routing ARNs (functions, job queues, job
definitions; none of them exists in moto, none needs to), the name of a moto S3
bucket (`${ArtifactBucket}`) from which a Distributed Map's ItemReader reads the items a
foreach task wrote to the local artifact store, and a routing table name
(`${MetadataTable}`) for the state machine's own run-status writes
(`dynamodb:updateItem`, sfn_compiler/asl/status.py). Those writes are routed here and
dropped: no DynamoDB table exists (creating one would add ~0.1 s to every run), and a
local run's true status is recorded in the local (SQLite) store by sfnflow/local_run.py.
The emulation's MotoCloud (sfnflow/emulate/) runs the same writes against a real moto table.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from sfn_compiler.contract import envelope as env_contract
from sfn_compiler.asl import arns
from sfn_compiler.contract.placeholders import ResourceNames, fill_definition

from .env_pools import EnvironmentPools, PoolEnvironment
from .workers import Cancelled, Executor, PoolClosed, RunTaskExecutor, WorkerCrashed, WorkerError, WorkerPool

__all__ = ["EventCallback", "ExecutionResult", "LocalEngine", "TaskEvent"]

LOG = logging.getLogger(__name__)

ACCOUNT = "123456789012"  # moto's default account
ROUTE_PREFIX = "sfnflow-local-"
BUCKET = "sfnflow-local-artifacts"
TABLE = "sfnflow-local-metadata"  # routed: status writes to it are dropped (see above)
_POLL_S = 0.002  # execution-status poll; a status read is an attribute read, not an API call

TaskEvent = str  # "started" | "succeeded" | "failed" | "cancelled"
EventCallback = Callable[..., None]  # on_event(kind, step, task, **info)


@dataclass
class ExecutionResult:
    """How one execution ended, and what the engine measured on the way."""

    status: str  # SUCCEEDED | FAILED | ABORTED | TIMED_OUT
    error: str | None
    cause: str | None
    output: Any
    duration: float  # seconds from start_execution to the end
    run_id: str
    execution_arn: str
    history: Any  # patches.HistoryStats: events, by_type, max_*_bytes, kept events
    tasks: int = 0  # task invocations routed to workers (attempts included)
    task_failures: int = 0
    interrupted: bool = False  # engine.stop() ended it
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def max_state_bytes(self) -> int:
        return max(self.history.max_input_bytes, self.history.max_output_bytes)


class _RunState:
    __slots__ = ("on_event", "artifact_root", "tasks", "failures", "lock")

    def __init__(self, on_event: EventCallback | None, artifact_root: str | None) -> None:
        self.on_event, self.artifact_root = on_event, artifact_root
        self.tasks = self.failures = 0
        self.lock = threading.Lock()


class LocalEngine:
    """Context manager owning moto (in-process), the patches and the warm worker pool."""

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
            fast_retries: skip Retry IntervalSeconds sleeps (tests); real sleeps otherwise.
            lean_history: keep only failure/start/end events (sizes are still measured);
                False keeps moto's full history (slower, for debugging).
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
        self._mock: Any = None
        self._hooks: Any = None  # patches.PatchHooks while open
        self._patches: Any = None  # the patches' Installation while open
        self._saved_env: dict[str, str | None] = {}
        self._run: _RunState | None = None
        self._execution: Any = None
        self._stopped = threading.Event()
        self._counter = 0
        self._s3: Any = None

    # -- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> "LocalEngine":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        # Workers first: fork while this process has no interpreter threads.
        self.pools.start()
        try:
            self._start_moto()
        except BaseException:
            self.close()
            raise

    def _start_moto(self) -> None:
        from .patches import ENGINE_GROUPS, REGISTRY, PatchHooks

        fake = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}
        self._hooks = PatchHooks(router=self, fast_retries=self.fast_retries, lean_history=self.lean_history)
        self._patches = REGISTRY.install(self, self._hooks, ENGINE_GROUPS)  # refuses a second engine
        self._saved_env = {k: os.environ.get(k) for k in fake}
        os.environ.update(fake)
        from moto import mock_aws

        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True},
                                      "batch": {"use_docker": False}})
        self._mock.start()
        import boto3

        self._s3 = boto3.client("s3", region_name=self.region)
        self._s3.create_bucket(Bucket=BUCKET)

    def close(self) -> None:
        """Stop any running execution, the workers and moto; remove the patches; restore the environment.

        Each step runs whatever the one before raised, so a failing close leaves nothing set.
        """
        try:
            self.stop()
        finally:
            try:
                if self._hooks is not None:
                    self._hooks.close()
                if self._mock is not None:
                    self._mock.stop()
                    self._mock = None
            finally:
                if self._patches is not None:
                    self._patches.uninstall()
                    self._patches = None
                for key, value in self._saved_env.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
                self._saved_env = {}

    def stop(self) -> None:
        """Abort the running execution (ABORTED) and terminate the workers; safe from any thread."""
        self._stopped.set()
        execution = self._execution
        if execution is not None and _status(execution) == "RUNNING":
            self._stop_execution(execution)
        self.pools.close()

    # -- running ------------------------------------------------------------------------------
    def run(self, asl: Any, *, run_id: str, execution_input: Mapping[str, Any] | None = None, model: Any = None,
            on_event: EventCallback | None = None, artifact_root: str | None = None) -> ExecutionResult:
        """Run one execution named `run_id` to its end and return how it ended.

        `asl` is an ASL dict or text with its DeploymentModel `model`, or a CompiledFlow (its
        .asl and .model are used).

        Ctrl-C while it runs aborts the execution (ABORTED), terminates the workers and
        re-raises KeyboardInterrupt; `stop()` from another thread makes it return a result
        with status ABORTED and `interrupted=True`. Either way the engine is done afterwards.
        """
        if self._mock is None or self._stopped.is_set():
            raise RuntimeError("the LocalEngine is not running (use it as a context manager)")
        from moto.stepfunctions.responses import get_backend

        from .patches import HistoryStats

        if hasattr(asl, "asl") and hasattr(asl, "model"):
            asl, model = asl.asl, model or asl.model
        definition = self.fill_placeholders(asl, model)
        backend = get_backend(ACCOUNT, self.region)
        self._counter += 1
        machine = backend.create_state_machine(name=f"{ROUTE_PREFIX}{self._counter}", definition=definition,
                                               roleArn=f"arn:aws:iam::{ACCOUNT}:role/{ROUTE_PREFIX}role")
        stats = HistoryStats()
        self._run = _RunState(on_event, artifact_root or self.artifact_root)
        self._hooks.stats = stats
        started = time.perf_counter()
        execution = backend.start_execution(machine.arn, name=run_id,
                                            execution_input=json.dumps(dict(execution_input or {})))
        self._execution = execution
        interrupted = False
        try:
            while _status(execution) == "RUNNING" and not self._stopped.is_set():
                time.sleep(_POLL_S)
        except KeyboardInterrupt:
            # Ctrl-C: abort the execution, kill the workers, let the caller see the interrupt.
            self.stop()
            self._wait_ended(execution, 2.0)
            self._run, self._execution = None, None
            self._hooks.stats = None
            raise
        if self._stopped.is_set():
            interrupted = True
            self._wait_ended(execution, 2.0)
        duration = time.perf_counter() - started
        run = self._run
        self._run, self._execution = None, None
        self._hooks.stats = None
        status = _status(execution)
        return ExecutionResult(
            status=status, error=execution.error, cause=execution.cause,
            output=execution.output if status == "SUCCEEDED" else None, duration=duration, run_id=run_id,
            execution_arn=execution.exec_arn, history=stats, tasks=run.tasks, task_failures=run.failures,
            interrupted=interrupted)

    def fill_placeholders(self, asl: Mapping[str, Any] | str, model: Any) -> str:
        """The ASL text with every `${...}` of `model` (a DeploymentModel) filled with a routing
        ARN, the artifact bucket or the routed table (sfn_compiler.contract.placeholders)."""
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

    def put_object(self, key: str, body: bytes) -> None:
        """Write into the artifact bucket in moto (tests, or items the runtime did not write)."""
        self._s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    def _stop_execution(self, execution: Any) -> None:
        import datetime

        try:
            execution.stop(stop_date=datetime.datetime.now(tz=datetime.timezone.utc), error=None, cause=None)
        except Exception:  # already ended between the check and the stop
            LOG.debug("stop_execution failed", exc_info=True)

    @staticmethod
    def _wait_ended(execution: Any, limit: float) -> None:
        deadline = time.monotonic() + limit
        while _status(execution) == "RUNNING" and time.monotonic() < deadline:
            time.sleep(_POLL_S)

    # -- TaskRouter (called from moto's interpreter threads) ----------------------------------
    def is_routed(self, kind: str, target: str) -> bool:
        if kind == "dynamodb":
            return target == TABLE
        return target.startswith(self._lambda_prefix if kind == "lambda" else self._queue_prefix)

    def route(self, kind: str, target: str, parameters: dict[str, Any], watch: Any) -> Any:
        """Run one routed task on a worker; raise TaskFailed / TaskCancelled for the interpreter."""
        from .patches import TaskCancelled, TaskFailed

        run = self._run
        if run is None:
            raise TaskCancelled("no execution is running")
        try:
            payload = self._payload(kind, parameters)
        except (ValueError, KeyError, TypeError) as exc:
            raise TaskFailed(env_contract.PLATFORM_ERROR, f"bad task envelope: {exc}") from None
        step, task = str(payload.get("step", "?")), str(payload.get("task", "?"))
        info = {"attempt": payload.get("attempt", 0), "compute": kind}
        pool = self.pools.pool_for(step)
        handle = pool.handle()
        watch.bind(handle.cancel)
        t0 = time.perf_counter()
        with run.lock:
            run.tasks += 1
        try:
            result = pool.call(payload, handle, on_start=lambda: _emit(run, "started", step, task, info))
            if _writes_items_file(result):
                self._publish_items(run, payload)
        except (Cancelled, PoolClosed):
            _emit(run, "cancelled", step, task, info)
            raise TaskCancelled(f"{step}/{task}") from None
        except (WorkerError, WorkerCrashed, _ItemsMissing) as exc:
            name = exc.name if isinstance(exc, WorkerError) else env_contract.PLATFORM_ERROR
            message = exc.message if isinstance(exc, WorkerError) else str(exc)
            with run.lock:
                run.failures += 1
            _emit(run, "failed", step, task, {**info, "error": name, "cause": message,
                                              "seconds": time.perf_counter() - t0})
            raise TaskFailed(name, message) from None
        _emit(run, "succeeded", step, task, {**info, "seconds": time.perf_counter() - t0})
        return result

    def _publish_items(self, run: _RunState, payload: dict[str, Any]) -> None:
        """Copy a foreach's items file from the local artifact store into moto S3 (ItemReader)."""
        key = env_contract.foreach_items_key(str(payload["flow"]), str(payload["run"]), str(payload["step"]),
                                             str(payload["task"]))
        if run.artifact_root is None:
            raise _ItemsMissing(f"foreach step wrote its items to the artifact store, but the engine has no "
                                f"artifact_root to read {key} from")
        path = os.path.join(run.artifact_root, key)
        try:
            with open(path, "rb") as f:
                body = f.read()
        except OSError as exc:
            raise _ItemsMissing(f"foreach items file {path} is missing: {exc}") from None
        self.put_object(key, body)

    def _payload(self, kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
        if kind == "lambda":
            payload = parameters.get("Payload")
            if isinstance(payload, (bytes, str)):
                payload = json.loads(payload)
            return dict(payload or {})
        command = list((parameters.get("ContainerOverrides") or {}).get("Command") or [])
        # ["python", "-m", "runtime.batch_main", "--flow", ...]: the envelope is argv[3:]
        return env_contract.envelope_from_batch_args(command[3:]).to_payload()


def _status(execution: Any) -> str:
    status = execution.exec_status
    return str(getattr(status, "value", status))


class _ItemsMissing(Exception):
    pass


def _writes_items_file(result: Any) -> bool:
    """A foreach result {"n": N, "items": None}: the items are in the artifact store, not the state."""
    return isinstance(result, dict) and "n" in result and "items" in result and result["items"] is None


def _emit(run: _RunState, kind: str, step: str, task: str, info: dict[str, Any]) -> None:
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
