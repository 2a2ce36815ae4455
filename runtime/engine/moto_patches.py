"""Every patch the embedded engine applies to moto's Step Functions interpreter, in one place.

moto 5.2.5 runs ASL (LocalStack's interpreter, ported) but is slow for wide fan-outs and
cannot run Lambda or Batch code without Docker. The patches here:

* route `lambda:invoke` and `batch:submitJob.sync` Task states whose function / job queue
  is one of the engine's routing ARNs straight to a `TaskRouter` (the warm worker pool),
  skipping the per-invoke boto3 client, the botocore round trip and the shape
  normalisation (together ~85 % of moto's per-task CPU cost);
* drop `dynamodb:*` Task states (the run-status writes) on a table the router claims:
  the local store records a local run's status, and no moto table need exist;
* replace the execution-history bookkeeping with a lean recorder that measures state
  input/output sizes and keeps only the events worth reading (failures, execution start
  and end), instead of a dict per event for every Map iteration;
* tell the router when the frame of a running task ends (TimeoutSeconds, stop_execution,
  a failed sibling branch), so the worker running it can be killed and replaced;
* optionally skip Retry interval sleeps (`fast_retries`, for tests);
* let a Fail state raise a `States.*` error (the compiled run-status Fail re-raises the
  error that ended the run, e.g. States.Timeout; moto refuses the prefix there);
* make `batch:submitJob` / `states:startExecution` work when they are NOT routed
  (moto stubs the parser's botocore-shape normalisation);
* fail a Distributed Map (Map Run) whose failed or timed-out child executions exceed its
  tolerated failure threshold (none by default), with `States.ExceedToleratedFailureThreshold`,
  as AWS does; moto only counts the failure and lets the Map state succeed.

For the cloud harness (cloud_harness.py), which runs flows through moto's own Lambda and
Batch services rather than the worker pool, `install_cloud()` adds two more:

* `LambdaFunction._invoke_lambda` calls `HOOKS.lambda_runner` (runs the function's real
  handler from its code zip) instead of Docker;
* `BatchSimpleBackend._mark_job_as_finished` calls `HOOKS.batch_runner` (runs the job's
  command as a local subprocess; its exit code decides SUCCEEDED / FAILED) instead of
  marking every job SUCCEEDED;
* while a harness is active, moto's request routing reuses each backend's URL table
  instead of rebuilding it (and reloading `moto.s3.urls`) on every request: about a third
  of the cost of each S3 / DynamoDB call a task makes.

They live apart from `install()` because importing moto's Lambda and Batch models costs
about a second, which `sfnflow run` must not pay.

All patches are inert while no engine or harness is active (`HOOKS.router`,
`HOOKS.lambda_runner`, `HOOKS.batch_runner` are None), so other moto users in the same
process see moto's own behaviour. `install()` checks the moto version
and that every attribute it replaces exists, and fails with a clear message otherwise.
Nothing outside runtime/engine may import this module (it imports moto).
"""
from __future__ import annotations

import functools
import importlib
import inspect
import json
import logging
import threading
import time as _time
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

PINNED_MOTO_VERSION = "5.2.5"

_SFN = "moto.stepfunctions.parser.asl"
_TASK = f"{_SFN}.component.state.exec.state_task"
_MAP = f"{_SFN}.component.state.exec.state_map"
# (module, attribute path) of everything replaced or relied upon below.
PATCH_TARGETS: tuple[tuple[str, str], ...] = (
    (f"{_SFN}.eval.event.event_manager", "EventManager.add_event"),
    (f"{_SFN}.eval.event.event_manager", "EventManager._event_id_gen"),
    (f"{_SFN}.eval.environment", "Environment.set_ended"),
    (f"{_SFN}.eval.environment", "Environment.set_stop"),
    (f"{_SFN}.eval.environment", "Environment.set_error"),
    (f"{_SFN}.eval.environment", "Environment.set_timed_out"),
    (f"{_SFN}.eval.environment", "Environment.is_running"),
    (f"{_TASK}.service.state_task_service", "StateTaskService._normalise_parameters"),
    (f"{_TASK}.service.state_task_service", "StateTaskService._normalise_response"),
    (f"{_TASK}.service.state_task_service", "StateTaskService._to_boto_request"),
    (f"{_TASK}.service.state_task_service", "StateTaskService._from_boto_response"),
    (f"{_TASK}.service.state_task_service", "StateTaskService._get_boto_service_name"),
    (f"{_TASK}.service.state_task_service", "StateTaskService._get_boto_service_action"),
    (f"{_TASK}.service.state_task_service_lambda", "StateTaskServiceLambda._eval_service_task"),
    (f"{_TASK}.service.state_task_service_lambda", "StateTaskServiceLambda._normalise_parameters"),
    (f"{_TASK}.service.state_task_service_batch", "StateTaskServiceBatch._eval_service_task"),
    (f"{_TASK}.service.state_task_service_batch", "StateTaskServiceBatch._build_sync_resolver"),
    (f"{_TASK}.service.state_task_service_lambda", "StateTaskServiceLambda._normalise_response"),
    (f"{_TASK}.service.state_task_service_dynamodb", "StateTaskServiceDynamoDB._eval_service_task"),
    (f"{_SFN}.component.common.retry.retrier_decl", "time"),
    (f"{_SFN}.utils.json_path", "parse"),
    (f"{_SFN}.component.common.path.result_path", "parse"),
    (f"{_SFN}.eval.states", "copy"),
    (f"{_SFN}.eval.states", "States._states_data"),
    (f"{_SFN}.component.state.exec.execute_state", "copy"),
    (f"{_SFN}.component.state.exec.state_map.state_map", "copy"),
    (f"{_SFN}.component.common.string.string_expression", "copy"),
    (f"{_SFN}.eval.environment", "copy"),
    (f"{_SFN}.eval.program_state", "ProgramRunning"),
    (f"{_SFN}.eval.program_state", "ProgramStopped"),
    (f"{_SFN}.component.state.exec.state_map.iteration.itemprocessor.inline_item_processor_worker",
     "InlineItemProcessorWorker._eval_input"),
    (f"{_SFN}.component.state.exec.state_map.iteration.iteration_worker", "IterationWorker._env"),
    (f"{_SFN}.component.common.error_name.failure_event", "FailureEventException"),
    (f"{_SFN}.component.common.error_name.failure_event", "FailureEvent"),
    (f"{_SFN}.component.common.error_name.custom_error_name", "CustomErrorName"),
    (f"{_SFN}.component.common.error_name.states_error_name", "StatesErrorName"),
    (f"{_SFN}.component.state.fail.state_fail", "CustomErrorName"),
    ("moto.stepfunctions.parser.api", "TaskFailedEventDetails"),
    ("moto.stepfunctions.parser.api", "HistoryEventType"),
    # Distributed Map failure threshold (_patch_map_run_failures).
    (f"{_MAP}.iteration.itemprocessor.distributed_item_processor_worker", "DistributedItemProcessorWorker._eval_job"),
    (f"{_MAP}.iteration.itemprocessor.distributed_item_processor_worker",
     "DistributedItemProcessorWorker._map_run_record"),
    (f"{_MAP}.iteration.iterator.distributed_iterator_worker", "DistributedIteratorWorker._eval_job"),
    (f"{_MAP}.iteration.iterator.distributed_iterator_worker", "DistributedIteratorWorker._map_run_record"),
    (f"{_MAP}.iteration.iteration_worker", "IterationWorker._job_pool"),
    (f"{_MAP}.iteration.iteration_worker", "IterationWorker._work_name"),
    (f"{_MAP}.iteration.job", "Job.job_index"),
    (f"{_MAP}.iteration.job", "Job.job_output"),
    (f"{_MAP}.iteration.job", "JobPool._jobs_number"),
    (f"{_MAP}.iteration.job", "JobPool.close_job"),
    (f"{_MAP}.iteration.itemprocessor.map_run_record", "MapRunRecord.tolerated_failure_count"),
    (f"{_MAP}.iteration.itemprocessor.map_run_record", "MapRunRecord.tolerated_failure_percentage"),
    (f"{_MAP}.iteration.distributed_iteration_component", "DistributedIterationComponent._map_run"),
    (f"{_SFN}.eval.environment", "Environment.program_state"),
    (f"{_SFN}.eval.program_state", "ProgramError"),
    (f"{_SFN}.eval.program_state", "ProgramTimedOut"),
    (f"{_SFN}.component.common.error_name.states_error_name_type",
     "StatesErrorNameType.StatesExceedToleratedFailureThreshold"),
    ("moto.stepfunctions.parser.api", "ExecutionFailedEventDetails"),
)

# What install_cloud() replaces (checked the same way).
CLOUD_PATCH_TARGETS: tuple[tuple[str, str], ...] = (
    ("moto.awslambda.models", "LambdaFunction._invoke_lambda"),
    ("moto.batch_simple.models", "BatchSimpleBackend._mark_job_as_finished"),
    ("moto.batch.models", "Job._start_attempt"),
    ("moto.batch.models", "Job._mark_stopped"),
    ("moto.s3.models", "S3Backend._url_module"),
    ("moto.core.base_backend", "BaseBackend.urls"),
)

# Event types the lean recorder keeps as full history events (everything else is counted).
_KEPT_SUFFIXES = ("Failed", "TimedOut", "Aborted")
_KEPT_TYPES = {"ExecutionStarted", "ExecutionSucceeded", "MapRunStarted", "MapRunSucceeded"}


class MotoPatchError(RuntimeError):
    """The installed moto is not the one the engine's patches were written for."""


class TaskFailed(Exception):
    """Raised by a TaskRouter: the task failed with Step Functions error `error`."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


class TaskRouter(Protocol):
    """What the interpreter calls for a routed Task state (implemented by the engine)."""

    def is_routed(self, kind: str, target: str) -> bool:
        """`kind` is "lambda", "batch" or "dynamodb"; `target` the FunctionName, JobQueue or TableName.

        A routed "dynamodb" task is not sent to `route`: it succeeds at once with `{}`.
        """

    def route(self, kind: str, target: str, parameters: dict[str, Any], watch: "FrameWatch") -> Any:
        """Run the task and return its result; raise TaskFailed, or TaskCancelled once `watch` fires."""


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


class TaskCancelled(Exception):
    """Raised by a TaskRouter when the task's frame ended while it ran (timeout, stop)."""


class FrameWatch:
    """Calls its callback once when the interpreter frame of a running task stops running.

    moto abandons a timed-out task's thread (`frame.set_ended()`); this is how the router
    learns of it at once and kills the worker, instead of polling `is_running()`.
    """

    __slots__ = ("env", "_callback", "fired", "_lock")

    def __init__(self, env: Any) -> None:
        self.env, self._callback, self.fired = env, None, False
        self._lock = threading.Lock()

    def bind(self, callback: Callable[[], None]) -> None:
        """Set the callback; call it now if the frame has already ended."""
        with self._lock:
            self._callback = callback
            fired = self.fired
        if fired:
            callback()

    def fire(self) -> None:
        with self._lock:
            if self.fired:
                return
            self.fired = True
            callback = self._callback
        if callback is not None:
            callback()


class _Hooks:
    """Process-wide switchboard the patched functions read (one engine active at a time)."""

    def __init__(self) -> None:
        self.router: TaskRouter | None = None
        self.fast_retries = False
        self.lean_history = False
        self.stats: HistoryStats | None = None
        # Cloud harness: fn(lambda_function, event) -> (payload json, errored, logs), and
        # fn(batch_job) -> succeeded.
        self.lambda_runner: Callable[[Any, Any], tuple[str, bool, str]] | None = None
        self.batch_runner: Callable[[Any], bool] | None = None
        self.watches: dict[int, FrameWatch] = {}
        self.lock = threading.Lock()

    def watch(self, env: Any) -> FrameWatch:
        w = FrameWatch(env)
        with self.lock:
            self.watches[id(env)] = w
        if not env.is_running():  # ended before we started watching
            w.fire()
        return w

    def unwatch(self, w: FrameWatch) -> None:
        with self.lock:
            if self.watches.get(id(w.env)) is w:
                del self.watches[id(w.env)]


HOOKS = _Hooks()
_installed = False
_cloud_installed = False
_originals: dict[str, Any] = {}


def _resolve(module: str, path: str) -> tuple[Any, str]:
    obj: Any = importlib.import_module(module)
    *parents, leaf = path.split(".")
    for name in parents:
        obj = getattr(obj, name)
    return obj, leaf


def _defer_moto_batch_package() -> None:
    """Let the interpreter import `moto.batch.utils` without running `moto/batch/__init__.py`.

    The interpreter's Batch task service needs only an enum from moto.batch.utils, but
    importing it runs the package's __init__, which imports moto.batch.models and with it
    all of moto.ec2: about 0.7 s of every `sfnflow run` (most of its start-up). Routed Batch
    tasks never touch moto's Batch backend, so the package is registered unexecuted and
    completes itself the first time anything asks it for an attribute.
    """
    import importlib.util
    import sys

    if "moto.batch" in sys.modules:
        return
    spec = importlib.util.find_spec("moto.batch")
    if spec is None or spec.loader is None:
        return
    package = importlib.util.module_from_spec(spec)
    completed = False

    def complete(name: str) -> Any:
        nonlocal completed
        if not completed:
            completed = True
            del package.__dict__["__getattr__"]
            spec.loader.exec_module(package)  # type: ignore[union-attr]
        return getattr(package, name)

    package.__dict__["__getattr__"] = complete  # PEP 562: consulted only for missing names
    sys.modules["moto.batch"] = package
    import moto

    moto.batch = package  # type: ignore[attr-defined]  # what a real import binds on the parent


def check_moto(targets: tuple[tuple[str, str], ...] = PATCH_TARGETS) -> None:
    """Fail clearly unless moto is the pinned version and has every patched attribute."""
    try:
        import moto
    except ImportError as exc:  # pragma: no cover - moto is a dependency
        raise MotoPatchError(f"the local engine needs moto=={PINNED_MOTO_VERSION}; it is not installed.") from exc
    if moto.__version__ != PINNED_MOTO_VERSION:
        raise MotoPatchError(
            f"the local engine patches moto {PINNED_MOTO_VERSION} internals, but moto {moto.__version__} is "
            f"installed. Run: pip install 'moto[server,stepfunctions,s3,dynamodb,awslambda,batch]=="
            f"{PINNED_MOTO_VERSION}'.")
    _defer_moto_batch_package()
    missing = []
    for module, path in targets:
        try:
            owner, leaf = _resolve(module, path)
            if not hasattr(owner, leaf) and leaf not in getattr(owner, "__annotations__", {}):
                missing.append(f"{module}.{path}")
        except (ImportError, AttributeError):
            missing.append(f"{module}.{path}")
    if missing:
        raise MotoPatchError("moto internals the local engine patches are missing: " + ", ".join(missing)
                             + f". Reinstall moto=={PINNED_MOTO_VERSION}.")


def install() -> None:
    """Apply every patch once per process (idempotent); patches stay inert until an engine is active."""
    global _installed
    if _installed:
        return
    check_moto()
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    _patch_event_manager()
    _patch_environment()
    _patch_normalisation()
    _patch_lambda()
    _patch_batch()
    _patch_dynamodb()
    _patch_fail_error_names()
    _patch_retry_sleep()
    _patch_jsonpath_cache()
    _patch_json_copies()
    _patch_map_item_input()
    _patch_map_run_failures()
    _installed = True


def install_cloud() -> None:
    """install(), plus the Lambda and Batch patches the cloud harness needs (idempotent)."""
    global _cloud_installed
    install()
    if _cloud_installed:
        return
    check_moto(CLOUD_PATCH_TARGETS)
    _patch_lambda_invoke()
    _patch_batch_jobs()
    _patch_url_tables()
    _cloud_installed = True


def _replace(owner: Any, name: str, new: Any) -> Any:
    old = inspect.getattr_static(owner, name) if isinstance(owner, type) else getattr(owner, name)
    _originals[f"{getattr(owner, '__qualname__', getattr(owner, '__name__', owner))}.{name}"] = old
    setattr(owner, name, new)
    return old


# -- history ------------------------------------------------------------------------------
def _patch_event_manager() -> None:
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    original = _replace(EventManager, "add_event", None)

    def add_event(self: Any, context: Any, event_type: Any, event_details: Any = None,
                  timestamp: Any = None, update_source_event_id: bool = True) -> int:
        stats = HOOKS.stats
        if stats is None or not HOOKS.lean_history:
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

    EventManager.add_event = add_event


def _type_name(event_type: Any) -> str:
    return str(getattr(event_type, "value", event_type))


# -- frames ending (timeouts, stops, failed siblings) -------------------------------------
def _patch_environment() -> None:
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    def wrap(name: str) -> None:
        original = _replace(Environment, name, None)

        def patched(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            if HOOKS.watches:
                w = HOOKS.watches.get(id(self))
                if w is not None and w.env is self:
                    w.fire()

        patched.__name__ = name
        setattr(Environment, name, patched)

    for method in ("set_ended", "set_stop", "set_error", "set_timed_out"):
        wrap(method)


# -- botocore-shape normalisation (unrouted services only) --------------------------------
_op_models: dict[tuple[str, str], Any] = {}
_op_lock = threading.Lock()


def _op_model(service: str, action_snake: str) -> Any:
    # Under a lock: a Map's threads would otherwise all load the botocore model at once.
    with _op_lock:
        op = _op_models.get((service, action_snake))
        if op is None:
            import botocore
            import botocore.session

            model = botocore.session.get_session().get_service_model(service)
            names = {botocore.xform_name(n): n for n in model.operation_names}
            op = _op_models[(service, action_snake)] = model.operation_model(names[action_snake])
        return op


def _patch_normalisation() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    def _normalise_parameters(self: Any, parameters: dict, boto_service_name: str | None = None,
                              service_action_name: str | None = None) -> None:
        if parameters.pop("__sfnflow_routed__", False):
            return  # routed to the worker pool: no botocore call, keep the ASL's own casing
        op = _op_model(self._get_boto_service_name(boto_service_name),
                       self._get_boto_service_action(service_action_name))
        if op.input_shape is not None:
            self._to_boto_request(parameters, op.input_shape)  # JobName -> jobName, ...

    def _normalise_response(self: Any, response: Any, boto_service_name: str | None = None,
                            service_action_name: str | None = None) -> None:
        if isinstance(response, dict) and response.get("__sfnflow_routed__"):
            return
        op = _op_model(self._get_boto_service_name(boto_service_name),
                       self._get_boto_service_action(service_action_name))
        if op.output_shape is not None:
            self._from_boto_response(response, op.output_shape)  # jobId -> JobId, ...

    _replace(StateTaskService, "_normalise_parameters", _normalise_parameters)
    _replace(StateTaskService, "_normalise_response", _normalise_response)


# -- Lambda routing -----------------------------------------------------------------------
def _failure(self: Any, env: Any, error: str, cause: str) -> Exception:
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    if error.startswith("States."):  # CustomErrorName refuses the reserved prefix
        error_name: Any = StatesErrorName(typ=StatesErrorNameType.from_name(error))
    else:
        error_name = CustomErrorName(error)
    details = TaskFailedEventDetails(error=error, cause=cause, resource=self._get_sfn_resource(),
                                     resourceType=self._get_sfn_resource_type())
    return FailureEventException(failure_event=FailureEvent(
        env=env, error_name=error_name, event_type=HistoryEventType.TaskFailed,
        event_details={"taskFailedEventDetails": details}))


def _route(self: Any, env: Any, kind: str, target: str, parameters: dict[str, Any]) -> Any:
    router = HOOKS.router
    if router is None:  # the engine stopped while this thread was on its way here
        return _CANCELLED
    watch = HOOKS.watch(env)
    try:
        return router.route(kind, target, parameters, watch)
    except TaskCancelled:
        # The frame already ended (timeout, stop, failed sibling): the interpreter has moved
        # on and ignores this thread's outcome. Raising here would be taken for a task
        # failure and overwrite an ABORTED execution with FAILED, so return quietly.
        return _CANCELLED
    finally:
        HOOKS.unwatch(watch)


_CANCELLED: dict[str, Any] = {}


def _patch_lambda() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_lambda import (
        StateTaskServiceLambda,
    )

    orig_eval = _replace(StateTaskServiceLambda, "_eval_service_task", None)
    orig_norm = _replace(StateTaskServiceLambda, "_normalise_parameters", None)
    # moto's lambda:invoke output is already Step Functions-shaped: no botocore pass (moto's own no-op).
    _replace(StateTaskServiceLambda, "_normalise_response", lambda self, response, *a, **k: None)

    def _routed(parameters: dict[str, Any]) -> bool:
        router = HOOKS.router
        return router is not None and router.is_routed("lambda", str(parameters.get("FunctionName", "")))

    def _normalise_parameters(self: Any, parameters: dict, boto_service_name: str | None = None,
                              service_action_name: str | None = None) -> None:
        if _routed(parameters):
            return  # keep Payload a dict: the worker gets it without a JSON round trip
        orig_norm(self, parameters, boto_service_name, service_action_name)

    def _eval_service_task(self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                           state_credentials: Any) -> None:
        if not _routed(normalised_parameters):
            return orig_eval(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        try:
            result = _route(self, env, "lambda", str(normalised_parameters["FunctionName"]), normalised_parameters)
        except TaskFailed as exc:  # Lambda reports the handler's exception class as the error name
            raise _failure(self, env, exc.error, exc.cause) from None
        # The shape of Step Functions' lambda:invoke output, so `$.Payload.x` selectors work.
        env.stack.append({"ExecutedVersion": "$LATEST", "Payload": result, "StatusCode": 200})
        return None

    StateTaskServiceLambda._normalise_parameters = _normalise_parameters
    StateTaskServiceLambda._eval_service_task = _eval_service_task


# -- Batch routing ------------------------------------------------------------------------
def _patch_batch() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch import (
        StateTaskServiceBatch,
    )

    orig_eval = _replace(StateTaskServiceBatch, "_eval_service_task", None)
    orig_sync = _replace(StateTaskServiceBatch, "_build_sync_resolver", None)

    def _eval_service_task(self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                           state_credentials: Any) -> None:
        router = HOOKS.router
        queue = str(normalised_parameters.get("JobQueue") or normalised_parameters.get("jobQueue") or "")
        if router is None or not router.is_routed("batch", queue):
            return orig_eval(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        # Submit returns at once (as SubmitJob does); the job runs in the .sync resolver,
        # inside the state's TimeoutSeconds frame.
        job_id = f"sfnflow-{id(env):x}-{_time.monotonic_ns():x}"
        env.stack.append({"__sfnflow_routed__": True, "JobId": job_id,
                          "JobName": normalised_parameters.get("JobName", ""),
                          "JobArn": f"{queue.split(':job-queue/')[0]}:job/{job_id}",
                          "__params__": normalised_parameters, "__queue__": queue})
        return None

    def _build_sync_resolver(self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                             state_credentials: Any) -> Any:
        submission = env.stack[-1] if env.stack else None
        if not (isinstance(submission, dict) and submission.get("__sfnflow_routed__")):
            return orig_sync(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        env.stack.pop()

        def resolve() -> dict[str, Any] | None:
            try:
                result = _route(self, env, "batch", submission["__queue__"], submission["__params__"])
            except TaskFailed as exc:
                # AWS: a failed job fails a .sync state with States.TaskFailed and the job
                # description as the cause; the container's own error is in StatusReason.
                job = _job_description(submission, None, failure=f"{exc.error}: {exc.cause}")
                raise _failure(self, env, "States.TaskFailed", json.dumps(job)) from None
            if result is _CANCELLED:
                return None  # the .sync loop sees the frame ended and stops polling
            return _job_description(submission, result)

        return resolve

    StateTaskServiceBatch._eval_service_task = _eval_service_task
    StateTaskServiceBatch._build_sync_resolver = _build_sync_resolver

    # Routed Batch states skip botocore normalisation too (their parameters never reach botocore).
    base_norm = StateTaskServiceBatch._normalise_parameters

    def _normalise_parameters(self: Any, parameters: dict, boto_service_name: str | None = None,
                              service_action_name: str | None = None) -> None:
        router = HOOKS.router
        if router is not None and router.is_routed("batch", str(parameters.get("JobQueue", ""))):
            return  # routed: these parameters never reach botocore
        base_norm(self, parameters, boto_service_name, service_action_name)

    StateTaskServiceBatch._normalise_parameters = _normalise_parameters


# -- moto's own Lambda and Batch services (cloud harness) ----------------------------------
def _patch_lambda_invoke() -> None:
    from moto.awslambda.models import LambdaFunction

    original = _replace(LambdaFunction, "_invoke_lambda", None)

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        runner = HOOKS.lambda_runner
        if runner is None:
            return original(self, event)  # type: ignore[no-any-return]
        return runner(self, event)

    LambdaFunction._invoke_lambda = _invoke_lambda


def _patch_batch_jobs() -> None:
    import datetime

    from moto.batch_simple.models import BatchSimpleBackend

    original = _replace(BatchSimpleBackend, "_mark_job_as_finished", None)

    def _mark_job_as_finished(self: Any, include_start_attempt: bool, job: Any) -> None:
        runner = HOOKS.batch_runner
        if runner is None:
            return original(self, include_start_attempt, job)  # type: ignore[no-any-return]
        # moto's own bookkeeping, then the job really runs (synchronously, inside SubmitJob:
        # the .sync state polls DescribeJobs after the submit returns and finds it ended).
        self.backend._jobs[job.job_id] = job
        job.job_started_at = datetime.datetime.now()
        job.log_stream_name = job._stream_name
        if include_start_attempt:
            job._start_attempt()
        job._mark_stopped(success=bool(runner(job)))
        return None

    BatchSimpleBackend._mark_job_as_finished = _mark_job_as_finished


def _patch_url_tables() -> None:
    from moto.core.base_backend import BaseBackend
    from moto.s3.models import S3Backend

    s3_module = inspect.getattr_static(S3Backend, "_url_module")
    urls = inspect.getattr_static(BaseBackend, "urls")
    _replace(S3Backend, "_url_module", None)
    _replace(BaseBackend, "urls", None)
    cached_s3: list[Any] = []
    tables: dict[type, Any] = {}

    def _url_module(self: Any) -> Any:
        # moto reloads moto.s3.urls per request in case env vars changed its URLs; a harness's don't.
        if HOOKS.lambda_runner is None:
            return s3_module.fget(self)
        if not cached_s3:
            cached_s3.append(s3_module.fget(self))
        return cached_s3[0]

    def _urls(self: Any) -> Any:
        if HOOKS.lambda_runner is None:
            return urls.fget(self)
        table = tables.get(type(self))
        if table is None:
            table = tables[type(self)] = urls.fget(self)
        return table

    S3Backend._url_module = property(_url_module)
    BaseBackend.urls = property(_urls)


# -- DynamoDB (the run-status writes) ----------------------------------------------------
def _patch_dynamodb() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb import (
        StateTaskServiceDynamoDB,
    )

    orig_eval = _replace(StateTaskServiceDynamoDB, "_eval_service_task", None)
    base_norm = StateTaskServiceDynamoDB._normalise_parameters
    base_norm_response = StateTaskServiceDynamoDB._normalise_response

    def _routed(parameters: dict[str, Any]) -> bool:
        router = HOOKS.router
        return router is not None and router.is_routed("dynamodb", str(parameters.get("TableName", "")))

    def _normalise_parameters(self: Any, parameters: dict, boto_service_name: str | None = None,
                              service_action_name: str | None = None) -> None:
        if _routed(parameters):
            return  # never reaches botocore: skip loading DynamoDB's service model (~50 ms)
        base_norm(self, parameters, boto_service_name, service_action_name)

    def _normalise_response(self: Any, response: Any, boto_service_name: str | None = None,
                            service_action_name: str | None = None) -> None:
        if isinstance(response, dict) and response.pop("__sfnflow_routed__", False):
            return
        base_norm_response(self, response, boto_service_name, service_action_name)

    def _eval_service_task(self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                           state_credentials: Any) -> None:
        if not _routed(normalised_parameters):
            return orig_eval(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        env.stack.append({"__sfnflow_routed__": True})  # what UpdateItem returns without ReturnValues: {}
        return None

    StateTaskServiceDynamoDB._normalise_parameters = _normalise_parameters
    StateTaskServiceDynamoDB._normalise_response = _normalise_response
    StateTaskServiceDynamoDB._eval_service_task = _eval_service_task


def _job_description(submission: dict[str, Any], result: Any, failure: str | None = None) -> dict[str, Any]:
    """A DescribeJobs-like record, the output AWS gives a `batch:submitJob.sync` state."""
    params = submission["__params__"]
    overrides = params.get("ContainerOverrides") or {}
    now = int(_time.time() * 1000)
    return {
        "JobArn": submission["JobArn"], "JobId": submission["JobId"], "JobName": submission["JobName"],
        "JobQueue": submission["__queue__"], "JobDefinition": params.get("JobDefinition", ""),
        "Status": "FAILED" if failure else "SUCCEEDED",
        "StatusReason": failure or "Essential container in task exited",
        "StartedAt": now, "StoppedAt": now,
        "Container": {"Command": list(overrides.get("Command") or []), "ExitCode": 1 if failure else 0},
        "Attempts": [{"Container": {"ExitCode": 1 if failure else 0}}],
        "Result": result,  # not in AWS's record: lets local tests read what the task returned
    }


# -- Fail states re-raising States.* errors ----------------------------------------------
def _patch_fail_error_names() -> None:
    """moto's Fail state makes every error name a CustomErrorName, which raises on `States.`;
    the run-status Fail (sfn_compiler/asl/status.py) re-raises e.g. States.Timeout by ErrorPath."""
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.fail import state_fail

    custom = _replace(state_fail, "CustomErrorName", None)

    def error_name(value: str) -> Any:
        active = HOOKS.router is not None or HOOKS.lambda_runner is not None
        if active and value.startswith("States."):
            try:
                return StatesErrorName(typ=StatesErrorNameType.from_name(value))
            except Exception:  # not a name moto knows: let moto say so, as before
                pass
        return custom(value)

    state_fail.CustomErrorName = error_name


# -- Retry sleeps -------------------------------------------------------------------------
def _patch_retry_sleep() -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    def sleep(seconds: float) -> None:
        if not HOOKS.fast_retries:
            _time.sleep(seconds)

    retrier_decl.time = types.SimpleNamespace(sleep=sleep, time=_time.time, monotonic=_time.monotonic)


# -- interpreter hot spots: JSONPath parsing, deep copies, Map item input ------------------
def _patch_jsonpath_cache() -> None:
    """Parse each JSONPath once: jsonpath_ng.ext builds a fresh PLY parser on every parse()
    (~1 ms, six paths per Map iteration in a typical body); parsed paths are immutable."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    for module in (json_path, result_path):
        original = _replace(module, "parse", None)
        setattr(module, "parse", functools.lru_cache(maxsize=4096)(original))


def json_copy(value: Any) -> Any:
    """A deep copy for JSON values, ~10x faster than copy.deepcopy (no memo, no reduce protocol)."""
    kind = type(value)
    if kind is dict:
        return {k: json_copy(v) for k, v in value.items()}
    if kind is list:
        return [json_copy(v) for v in value]
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind in _SHALLOW_SAFE:  # objects holding only immutable attributes
        return _copy_module.copy(value)
    return _copy_module.deepcopy(value)


_SHALLOW_SAFE: set[type] = set()


import copy as _copy_module  # noqa: E402 - kept beside its only user

_JSON_COPY = types.SimpleNamespace(deepcopy=json_copy, copy=_copy_module.copy)


def _patch_json_copies() -> None:
    """The interpreter deep-copies every state value on each read and write; use json_copy."""
    from moto.stepfunctions.parser.asl.component.common.string import string_expression
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.component.state.exec.state_map import state_map
    from moto.stepfunctions.parser.asl.eval import environment, program_state, states

    _SHALLOW_SAFE.update({program_state.ProgramRunning, program_state.ProgramEnded,
                          program_state.ProgramStopped, program_state.ProgramTimedOut})
    for module in (states, execute_state, state_map, string_expression, environment):
        _replace(module, "copy", _JSON_COPY)


def _patch_map_item_input() -> None:
    """Map iterations read the Map's input (ItemSelector / Parameters) without copying it.

    moto deep-copies the whole Map input into every iteration just to evaluate the
    selector, which is O(items) per iteration, O(items^2) per Map. The selector only
    reads that input (extractions are copied on read), so a shared reference is safe.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
        inline_item_processor_worker as module,
    )

    cls = module.InlineItemProcessorWorker
    _replace(cls, "_eval_input", None)

    def _eval_input(self: Any, env_frame: Any) -> None:
        if not self._parameters and not self._item_selector:
            return
        map_state_input = self._env.stack[-1]
        data = env_frame.states._states_data
        data["input"], data["result"], data["errorOutput"] = map_state_input, None, None
        depth = len(env_frame.stack)
        env_frame.stack.append(map_state_input)
        if self._item_selector:
            self._item_selector.eval(env_frame)
        elif self._parameters:
            self._parameters.eval(env_frame)
        env_frame.states.reset(input_value=env_frame.stack[-1])
        # moto leaves the Map input on the iteration's stack, and every Task in the
        # iteration deep-copies its stack (TimeoutSeconds frame): drop it, as the
        # no-selector path does.
        del env_frame.stack[depth:]

    cls._eval_input = _eval_input


# -- Distributed Map: failed child executions fail the Map Run ----------------------------
# AWS caps an error's Cause at 32,768 characters.
_CAUSE_MAX = 32768
_map_run_lock = threading.Lock()


def _patch_map_run_failures() -> None:
    """A Distributed Map fails once its failed child executions exceed the tolerated threshold.

    AWS (docs: "Tolerated failure threshold for Distributed Map state"): a Map Run fails
    when its failed or timed-out items exceed ToleratedFailureCount or
    ToleratedFailurePercentage (of all items); with neither set (sfnflow sets neither),
    one failed child fails it, and the Map state fails with
    States.ExceedToleratedFailureThreshold, which Retry / Catch see. moto 5.2.5 only
    counts the failed child and the Map state succeeds, so a failed foreach body would
    surface later as a join missing an input. Here the child that crosses the threshold
    hands its worker a FailureEventException, which moto's JobPool already treats as
    "stop the Map Run": no new child starts, `_eval_body` records MapRunFailed and the
    Map state fails. Leaving the Map state ends its frame, which ends the running
    siblings' frames (their routed tasks are cancelled, as for a failed inline Map).

    The Cause leads with the failed child's own error and cause (e.g. "UserCodeError:
    <message>"), so the run's error says what broke without reading the child's history.
    Active only while an engine or harness is (like the Fail-state patch): other moto
    users in this process keep moto's behaviour.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
        distributed_item_processor_worker as processor_module,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iterator import (
        distributed_iterator_worker as iterator_module,
    )

    for cls in (processor_module.DistributedItemProcessorWorker, iterator_module.DistributedIteratorWorker):
        original = _replace(cls, "_eval_job", None)
        setattr(cls, "_eval_job", _map_run_eval_job(original))


def _map_run_eval_job(original: Callable[..., None]) -> Callable[..., None]:
    def _eval_job(self: Any, env: Any, job: Any) -> None:
        original(self, env, job)
        if HOOKS.router is None and HOOKS.lambda_runner is None:
            return
        failure = _child_failure(env)
        if failure is None:
            return
        record, pool = self._map_run_record, self._job_pool
        with _map_run_lock:
            failed = getattr(pool, "_sfnflow_failed", 0) + 1
            pool._sfnflow_failed = failed
        total = int(pool._jobs_number)
        count = int(record.tolerated_failure_count or 0)
        percentage = float(record.tolerated_failure_percentage or 0.0)
        if exceeds_tolerated_failures(failed, total, count, percentage):
            error, cause = failure
            detail = (f" [the child execution of item {job.job_index} of Map state '{self._work_name}' failed: "
                      f"{failed} of {total} child executions failed or timed out; "
                      f"{_tolerance_text(count, percentage)}]")
            job.job_output = _threshold_exceeded(self._env, error, cause, detail)

    return _eval_job


def exceeds_tolerated_failures(failed: int, total: int, count: int, percentage: float) -> bool:
    """Whether `failed` (failed or timed-out) of `total` items exceed a Map Run's thresholds.

    moto stores an absent ToleratedFailureCount / Percentage as 0, so 0 reads as "not set":
    with neither set any failure exceeds (AWS's default); with both set, exceeding either does.
    """
    if count <= 0 and percentage <= 0:
        return failed > 0
    if count > 0 and failed > count:
        return True
    return percentage > 0 and total > 0 and failed * 100.0 > percentage * total


def _tolerance_text(count: int, percentage: float) -> str:
    if count <= 0 and percentage <= 0:
        return "no failure is tolerated"
    limits = ([f"ToleratedFailureCount {count}"] if count > 0 else []) + (
        [f"ToleratedFailurePercentage {percentage:g}"] if percentage > 0 else [])
    return "tolerated: " + ", ".join(limits)


def _child_failure(env: Any) -> tuple[str, str] | None:
    """(error, cause) of a child execution that failed or timed out; None if it succeeded or was stopped."""
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramError, ProgramRunning, ProgramTimedOut

    state = env.program_state()
    if isinstance(state, ProgramError):
        details = state.error or {}
        return str(details.get("error") or "States.Runtime"), str(details.get("cause") or "")
    if isinstance(state, ProgramTimedOut):
        return "States.Timeout", "the child execution timed out"
    if isinstance(state, ProgramRunning):
        # An exception escaped the child's program (e.g. its ItemSelector failed): moto
        # counts the item as failed, and so does the threshold.
        return "States.Runtime", "the child execution ended with an internal error"
    return None  # ProgramEnded (succeeded) or ProgramStopped (aborted: not a failure)


def _threshold_exceeded(map_env: Any, error: str, cause: str, detail: str) -> Exception:
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    typ = StatesErrorNameType.StatesExceedToleratedFailureThreshold
    head = f"{error}: " if error else ""
    room = _CAUSE_MAX - len(head) - len(detail)
    if len(cause) > room:
        cause = cause[:max(room - 3, 0)] + "..."
    details = ExecutionFailedEventDetails(error=typ.to_name(), cause=f"{head}{cause}{detail}")
    return FailureEventException(failure_event=FailureEvent(
        env=map_env, error_name=StatesErrorName(typ=typ), event_type=HistoryEventType.MapStateFailed,
        event_details={"executionFailedEventDetails": details}))
