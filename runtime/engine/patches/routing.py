"""Routing: Task states on the engine's routing ARNs run on its warm workers, not through moto.

* `lambda:invoke` and `batch:submitJob.sync` states whose function / job queue the
  router claims (`hooks.router.is_routed`) go straight to `router.route`, skipping the
  per-invoke boto3 client, the botocore round trip and the shape normalisation
  (together ~85 % of moto's per-task CPU cost);
* `dynamodb:*` states (the run-status writes) on a table the router claims succeed at
  once with `{}`: the local store records a local run's status, and no table need exist.

Everything else reaches moto's own service integrations unchanged.
"""
from __future__ import annotations

import json
import time as _time
from typing import Any, Callable, Protocol

from ..interp.services import job_description  # one spelling of the .sync output, shared with the interpreter
from .frames import FrameWatch
from .registry import REGISTRY
from .semantics import ROUTED_MARK

__all__ = ["ROUTING", "TaskCancelled", "TaskFailed", "TaskRouter"]

ROUTING = "routing"
_SERVICE = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"
_LAMBDA = f"{_SERVICE}.state_task_service_lambda"
_BATCH = f"{_SERVICE}.state_task_service_batch"
_DYNAMODB = f"{_SERVICE}.state_task_service_dynamodb"


class TaskFailed(Exception):
    """Raised by a TaskRouter: the task failed with Step Functions error `error`."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


class TaskCancelled(Exception):
    """Raised by a TaskRouter when the task's frame ended while it ran (timeout, stop)."""


class TaskRouter(Protocol):
    """What the interpreter calls for a routed Task state (implemented by the engine)."""

    def is_routed(self, kind: str, target: str) -> bool:
        """`kind` is "lambda", "batch" or "dynamodb"; `target` the FunctionName, JobQueue or TableName.

        A routed "dynamodb" task is not sent to `route`: it succeeds at once with `{}`.
        """

    def route(self, kind: str, target: str, parameters: dict[str, Any], watch: FrameWatch) -> Any:
        """Run the task and return its result; raise TaskFailed, or TaskCancelled once `watch` fires."""


_CANCELLED: dict[str, Any] = {}


def _routed(hooks: Any, kind: str, target: Any) -> bool:
    router = hooks.router
    return router is not None and router.is_routed(kind, str(target or ""))


def _route(hooks: Any, env: Any, kind: str, target: str, parameters: dict[str, Any]) -> Any:
    router = hooks.router
    if router is None:  # the engine closed while this thread was on its way here
        return _CANCELLED
    watch = hooks.watch(env)
    try:
        return router.route(kind, target, parameters, watch)
    except TaskCancelled:
        # The frame already ended (timeout, stop, failed sibling): the interpreter has moved
        # on and ignores this thread's outcome. Raising here would be taken for a task
        # failure and overwrite an ABORTED execution with FAILED, so return quietly.
        return _CANCELLED
    finally:
        hooks.unwatch(watch)


def _failure(service: Any, env: Any, error: str, cause: str) -> Exception:
    """The exception moto's interpreter expects from a failed Task state."""
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
    details = TaskFailedEventDetails(error=error, cause=cause, resource=service._get_sfn_resource(),
                                     resourceType=service._get_sfn_resource_type())
    return FailureEventException(failure_event=FailureEvent(
        env=env, error_name=error_name, event_type=HistoryEventType.TaskFailed,
        event_details={"taskFailedEventDetails": details}))


REGISTRY.relies_on(ROUTING, "moto.stepfunctions.parser.api", "TaskFailedEventDetails", "HistoryEventType")
REGISTRY.relies_on(ROUTING, "moto.stepfunctions.parser.asl.component.common.error_name.failure_event",
                   "FailureEventException", "FailureEvent")


# -- Lambda ----------------------------------------------------------------------------------------
@REGISTRY.replaces(_LAMBDA, "StateTaskServiceLambda._normalise_parameters", group=ROUTING)
def _lambda_parameters(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
    def _normalise_parameters(self: Any, parameters: dict, boto_service_name: str | None = None,
                              service_action_name: str | None = None) -> None:
        if _routed(hooks, "lambda", parameters.get("FunctionName")):
            return  # keep Payload a dict: the worker gets it without a JSON round trip
        original(self, parameters, boto_service_name, service_action_name)

    return _normalise_parameters


@REGISTRY.replaces(_LAMBDA, "StateTaskServiceLambda._eval_service_task", group=ROUTING)
def _lambda_task(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
    def _eval_service_task(self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                           state_credentials: Any) -> None:
        if not _routed(hooks, "lambda", normalised_parameters.get("FunctionName")):
            return original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        try:
            result = _route(hooks, env, "lambda", str(normalised_parameters["FunctionName"]), normalised_parameters)
        except TaskFailed as exc:  # Lambda reports the handler's exception class as the error name
            raise _failure(self, env, exc.error, exc.cause) from None
        # The shape of Step Functions' lambda:invoke output, so `$.Payload.x` selectors work.
        env.stack.append({"ExecutedVersion": "$LATEST", "Payload": result, "StatusCode": 200})
        return None

    return _eval_service_task


# -- Batch -----------------------------------------------------------------------------------------
def _queue(parameters: dict[str, Any]) -> str:
    return str(parameters.get("JobQueue") or parameters.get("jobQueue") or "")


@REGISTRY.replaces(_BATCH, "StateTaskServiceBatch._eval_service_task", group=ROUTING)
def _batch_submit(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
    def _eval_service_task(self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                           state_credentials: Any) -> None:
        queue = _queue(normalised_parameters)
        if not _routed(hooks, "batch", queue):
            return original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        # Submit returns at once (as SubmitJob does); the job runs in the .sync resolver,
        # inside the state's TimeoutSeconds frame.
        job_id = f"sfnflow-{id(env):x}-{_time.monotonic_ns():x}"
        env.stack.append({ROUTED_MARK: True, "JobId": job_id,
                          "JobName": normalised_parameters.get("JobName", ""),
                          "JobArn": f"{queue.split(':job-queue/')[0]}:job/{job_id}",
                          "__params__": normalised_parameters, "__queue__": queue})
        return None

    return _eval_service_task


@REGISTRY.replaces(_BATCH, "StateTaskServiceBatch._build_sync_resolver", group=ROUTING)
def _batch_sync(original: Callable[..., Any], hooks: Any) -> Callable[..., Any]:
    def _build_sync_resolver(self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                             state_credentials: Any) -> Any:
        submission = env.stack[-1] if env.stack else None
        if not (isinstance(submission, dict) and submission.get(ROUTED_MARK)):
            return original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        env.stack.pop()

        def resolve() -> dict[str, Any] | None:
            try:
                result = _route(hooks, env, "batch", submission["__queue__"], submission["__params__"])
            except TaskFailed as exc:
                # AWS: a failed job fails a .sync state with States.TaskFailed and the job
                # description as the cause; the container's own error is in StatusReason.
                job = job_description(submission, None, failure=f"{exc.error}: {exc.cause}")
                raise _failure(self, env, "States.TaskFailed", json.dumps(job)) from None
            if result is _CANCELLED:
                return None  # the .sync loop sees the frame ended and stops polling
            return job_description(submission, result)

        resolve.routed = True  # type: ignore[attr-defined]  # see _batch_eval_sync
        return resolve

    return _build_sync_resolver


@REGISTRY.replaces(_BATCH, "StateTaskServiceBatch._eval_sync", group=ROUTING)
def _batch_eval_sync(original: Callable[..., Any], hooks: Any) -> Callable[..., Any]:
    """Poll a routed job's resolver alone, without moto's waitForTaskToken listener.

    moto creates a state's task token once per state entry, and interrupts its callback
    endpoint when an attempt ends; a retried `.sync` attempt then finds the interrupted
    endpoint, whose listener reports a timeout at once, and the retry fails with
    States.Timeout. A routed job has no token to wait for (sfnflow never emits
    `.waitForTaskToken`): the resolver's answer is the outcome.
    """
    def _eval_sync(self: Any, env: Any, sync_resolver: Any, timeout_seconds: Any, callback_endpoint: Any,
                   heartbeat_endpoint: Any) -> Any:
        if not getattr(sync_resolver, "routed", False):
            return original(self, env, sync_resolver, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        while env.is_running():
            result = sync_resolver()
            if result:
                return result
        return None

    return _eval_sync


@REGISTRY.replaces(_BATCH, "StateTaskServiceBatch._normalise_parameters", group=ROUTING)
def _batch_parameters(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
    def _normalise_parameters(self: Any, parameters: dict, boto_service_name: str | None = None,
                              service_action_name: str | None = None) -> None:
        if _routed(hooks, "batch", parameters.get("JobQueue")):
            return  # routed: these parameters never reach botocore
        original(self, parameters, boto_service_name, service_action_name)

    return _normalise_parameters


# -- DynamoDB (the run-status writes) --------------------------------------------------------------
@REGISTRY.replaces(_DYNAMODB, "StateTaskServiceDynamoDB._normalise_parameters", group=ROUTING)
def _dynamodb_parameters(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
    def _normalise_parameters(self: Any, parameters: dict, boto_service_name: str | None = None,
                              service_action_name: str | None = None) -> None:
        if _routed(hooks, "dynamodb", parameters.get("TableName")):
            return  # never reaches botocore: skip loading DynamoDB's service model (~50 ms)
        original(self, parameters, boto_service_name, service_action_name)

    return _normalise_parameters


@REGISTRY.replaces(_DYNAMODB, "StateTaskServiceDynamoDB._normalise_response", group=ROUTING)
def _dynamodb_response(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
    def _normalise_response(self: Any, response: Any, boto_service_name: str | None = None,
                            service_action_name: str | None = None) -> None:
        if isinstance(response, dict) and response.pop(ROUTED_MARK, False):
            return
        original(self, response, boto_service_name, service_action_name)

    return _normalise_response


@REGISTRY.replaces(_DYNAMODB, "StateTaskServiceDynamoDB._eval_service_task", group=ROUTING)
def _dynamodb_task(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
    def _eval_service_task(self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                           state_credentials: Any) -> None:
        if not _routed(hooks, "dynamodb", normalised_parameters.get("TableName")):
            return original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        env.stack.append({ROUTED_MARK: True})  # what UpdateItem returns without ReturnValues: {}
        return None

    return _eval_service_task
