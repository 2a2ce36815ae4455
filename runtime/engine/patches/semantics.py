"""AWS semantics moto 5.2.5 gets wrong or leaves out, fixed so a run behaves as in AWS.

* `batch:submitJob(.sync)` / `states:startExecution` Task states that are NOT routed to
  local workers: moto stubs the botocore-shape normalisation of their parameters and
  responses (JobName -> jobName, jobId -> JobId); here it is done with botocore's model.
* A Fail state may raise a `States.*` error: the compiled run-status Fail re-raises the
  error that ended the run (e.g. States.Timeout); moto refuses the prefix there.
* A Distributed Map (Map Run) fails once its failed or timed-out child executions exceed
  its tolerated failure threshold (none by default), with
  `States.ExceedToleratedFailureThreshold`; moto only counts the failures and lets the
  Map state succeed.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from ..interp.map_run import exceeds_tolerated_failures, threshold_cause
from .registry import REGISTRY

__all__ = ["SEMANTICS", "ROUTED_MARK", "exceeds_tolerated_failures"]

SEMANTICS = "semantics"
ROUTED_MARK = "__sfnflow_routed__"  # set by routing.py on parameters / results that never reach botocore
_SFN = "moto.stepfunctions.parser.asl"
_SERVICE = f"{_SFN}.component.state.exec.state_task.service.state_task_service"
_MAP = f"{_SFN}.component.state.exec.state_map"


# -- botocore-shape normalisation (unrouted services only) ----------------------------------------
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


@REGISTRY.replaces(_SERVICE, "StateTaskService._normalise_parameters", group=SEMANTICS)
def _normalised_parameters(original: Any, hooks: Any) -> Callable[..., None]:
    def _normalise_parameters(self: Any, parameters: dict, boto_service_name: str | None = None,
                              service_action_name: str | None = None) -> None:
        if parameters.pop(ROUTED_MARK, False):
            return  # routed to the worker pool: no botocore call, keep the ASL's own casing
        op = _op_model(self._get_boto_service_name(boto_service_name),
                       self._get_boto_service_action(service_action_name))
        if op.input_shape is not None:
            self._to_boto_request(parameters, op.input_shape)  # JobName -> jobName, ...

    return _normalise_parameters


@REGISTRY.replaces(_SERVICE, "StateTaskService._normalise_response", group=SEMANTICS)
def _normalised_response(original: Any, hooks: Any) -> Callable[..., None]:
    def _normalise_response(self: Any, response: Any, boto_service_name: str | None = None,
                            service_action_name: str | None = None) -> None:
        if isinstance(response, dict) and response.get(ROUTED_MARK):
            return
        op = _op_model(self._get_boto_service_name(boto_service_name),
                       self._get_boto_service_action(service_action_name))
        if op.output_shape is not None:
            self._from_boto_response(response, op.output_shape)  # jobId -> JobId, ...

    return _normalise_response


@REGISTRY.replaces(f"{_SERVICE}_lambda", "StateTaskServiceLambda._normalise_response", group=SEMANTICS)
def _lambda_response(original: Any, hooks: Any) -> Callable[..., None]:
    # moto's lambda:invoke output is already Step Functions-shaped: keep it out of the
    # botocore pass above (which it would otherwise inherit), as moto's own no-op did.
    return lambda self, response, *args, **kwargs: None


REGISTRY.relies_on(SEMANTICS, _SERVICE, "StateTaskService._to_boto_request", "StateTaskService._from_boto_response",
                   "StateTaskService._get_boto_service_name", "StateTaskService._get_boto_service_action")


# -- States.* errors passing through Fail states, Map iterations and Parallel branches --------------
# moto wraps an error's name in a CustomErrorName, which refuses the `States.` prefix, where
# a Fail state raises one (the run-status Fail of sfn_compiler/asl/status.py re-raises e.g.
# States.Timeout by ErrorPath) and where a failed Map iteration or Parallel branch hands its
# error to the state above: a States.TaskFailed (failed Batch job) or
# States.ExceedToleratedFailureThreshold inside a foreach or a branch became States.Runtime.
def _states_error_name(custom: Any, hooks: Any) -> Callable[..., Any]:
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    def error_name(value: Any = None, **kwargs: Any) -> Any:
        name = kwargs.get("error_name", value)
        if isinstance(name, str) and name.startswith("States."):
            try:
                return StatesErrorName(typ=StatesErrorNameType.from_name(name))
            except Exception:  # not a name moto knows: let moto say so, as before
                pass
        return custom(name)

    return error_name


for _module in (f"{_SFN}.component.state.fail.state_fail",
                f"{_SFN}.component.state.exec.state_map.iteration.iteration_worker",
                f"{_SFN}.component.state.exec.state_parallel.branches_decl"):
    REGISTRY.replaces(_module, "CustomErrorName", group=SEMANTICS)(_states_error_name)


REGISTRY.relies_on(SEMANTICS, f"{_SFN}.component.common.error_name.custom_error_name", "CustomErrorName")
REGISTRY.relies_on(SEMANTICS, f"{_SFN}.component.common.error_name.states_error_name", "StatesErrorName")


# -- Distributed Map: failed child executions fail the Map Run ------------------------------------
# The threshold and its error's cause are the interpreter's (interp/map_run.py), spelled once.
_map_run_lock = threading.Lock()


def _map_run_eval_job(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
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
    """

    def _eval_job(self: Any, env: Any, job: Any) -> None:
        original(self, env, job)
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
            job.job_output = _threshold_exceeded(self._env, threshold_cause(
                self._work_name, job.job_index, failed, total, count, percentage, error, cause))

    return _eval_job


REGISTRY.replaces(f"{_MAP}.iteration.itemprocessor.distributed_item_processor_worker",
                  "DistributedItemProcessorWorker._eval_job", group=SEMANTICS)(_map_run_eval_job)
REGISTRY.replaces(f"{_MAP}.iteration.iterator.distributed_iterator_worker",
                  "DistributedIteratorWorker._eval_job", group=SEMANTICS)(_map_run_eval_job)
REGISTRY.relies_on(SEMANTICS, f"{_MAP}.iteration.itemprocessor.distributed_item_processor_worker",
                   "DistributedItemProcessorWorker._map_run_record")
REGISTRY.relies_on(SEMANTICS, f"{_MAP}.iteration.iterator.distributed_iterator_worker",
                   "DistributedIteratorWorker._map_run_record")
REGISTRY.relies_on(SEMANTICS, f"{_MAP}.iteration.iteration_worker", "IterationWorker._job_pool",
                   "IterationWorker._work_name")
REGISTRY.relies_on(SEMANTICS, f"{_MAP}.iteration.job", "Job.job_index", "Job.job_output", "JobPool._jobs_number",
                   "JobPool.close_job")
REGISTRY.relies_on(SEMANTICS, f"{_MAP}.iteration.itemprocessor.map_run_record",
                   "MapRunRecord.tolerated_failure_count", "MapRunRecord.tolerated_failure_percentage")
REGISTRY.relies_on(SEMANTICS, f"{_MAP}.iteration.distributed_iteration_component",
                   "DistributedIterationComponent._map_run")
REGISTRY.relies_on(SEMANTICS, f"{_SFN}.eval.environment", "Environment.program_state")
REGISTRY.relies_on(SEMANTICS, f"{_SFN}.eval.program_state", "ProgramError", "ProgramTimedOut")
REGISTRY.relies_on(SEMANTICS, f"{_SFN}.component.common.error_name.states_error_name_type",
                   "StatesErrorNameType.StatesExceedToleratedFailureThreshold")
REGISTRY.relies_on(SEMANTICS, f"{_SFN}.component.common.error_name.failure_event", "FailureEventException",
                   "FailureEvent")
REGISTRY.relies_on(SEMANTICS, "moto.stepfunctions.parser.api", "ExecutionFailedEventDetails", "HistoryEventType")


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


def _threshold_exceeded(map_env: Any, cause: str) -> Exception:
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
    details = ExecutionFailedEventDetails(error=typ.to_name(), cause=cause)
    return FailureEventException(failure_event=FailureEvent(
        env=map_env, error_name=StatesErrorName(typ=typ), event_type=HistoryEventType.MapStateFailed,
        event_details={"executionFailedEventDetails": details}))
