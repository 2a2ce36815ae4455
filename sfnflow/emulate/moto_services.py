"""Patches to moto's own Lambda and Batch services: run the real code, without Docker.

Registered in the one patch registry (runtime/engine/patches), group COMPUTE:

* `LambdaFunction._invoke_lambda` calls `hooks.lambda_runner` (lambdas.py) instead of
  starting a Docker container;
* `BatchSimpleBackend._mark_job_as_finished` calls `hooks.batch_runner` (batch.py): the
  job's command runs and its exit code decides SUCCEEDED / FAILED, instead of moto
  marking every job SUCCEEDED;
* `StepFunctionsParserBackend.start_execution` names an execution started without a
  name with a UUID, as AWS does (the console and EventBridge give none); moto would name
  it `None`, so `$$.Execution.Name` (the run id) is null, the run-status write fails
  (seen as `KeyError('RequestId')`) and the run's record is broken;
* moto's request routing reuses each backend's URL table instead of rebuilding it (and
  reloading `moto.s3.urls`) on every request: about a third of the cost of each S3 /
  DynamoDB call a task makes. moto reloads it in case environment variables changed its
  URLs; an owner's don't change while it is open.

Importing moto's Lambda and Batch models costs about a second, which `sfnflow run`
(the embedded engine, which never installs this group) does not pay.
"""
from __future__ import annotations

import datetime
from typing import Any, Callable

from runtime.engine.patches import REGISTRY

__all__ = ["COMPUTE"]

COMPUTE = "compute"


@REGISTRY.replaces("moto.awslambda.models", "LambdaFunction._invoke_lambda", group=COMPUTE)
def _invoke_lambda(original: Callable[..., tuple[str, bool, str]], hooks: Any) -> Callable[..., tuple[str, bool, str]]:
    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        runner = hooks.lambda_runner
        if runner is None:
            return original(self, event)
        return runner(self, event)

    return _invoke_lambda


@REGISTRY.replaces("moto.batch_simple.models", "BatchSimpleBackend._mark_job_as_finished", group=COMPUTE)
def _finish_job(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
    def _mark_job_as_finished(self: Any, include_start_attempt: bool, job: Any) -> None:
        runner = hooks.batch_runner
        if runner is None:
            return original(self, include_start_attempt, job)
        # moto's own bookkeeping, then the job really runs (synchronously, inside SubmitJob:
        # the .sync state polls DescribeJobs after the submit returns and finds it ended).
        self.backend._jobs[job.job_id] = job
        job.job_started_at = datetime.datetime.now()
        job.log_stream_name = job._stream_name
        if include_start_attempt:
            job._start_attempt()
        job._mark_stopped(success=bool(runner(job)))
        return None

    return _mark_job_as_finished


REGISTRY.relies_on(COMPUTE, "moto.batch.models", "Job._start_attempt", "Job._mark_stopped")


@REGISTRY.replaces("moto.stepfunctions.parser.models", "StepFunctionsParserBackend.start_execution", group=COMPUTE)
def _named_executions(original: Callable[..., Any], hooks: Any) -> Callable[..., Any]:
    import uuid

    def start_execution(self: Any, state_machine_arn: str, name: Any = None, execution_input: Any = None,
                        trace_header: Any = None) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    return start_execution


@REGISTRY.replaces("moto.s3.models", "S3Backend._url_module", group=COMPUTE)
def _s3_url_module(original: property, hooks: Any) -> property:
    cached: list[Any] = []

    def _url_module(self: Any) -> Any:
        if not cached:
            cached.append(original.fget(self))  # type: ignore[misc]
        return cached[0]

    return property(_url_module)


@REGISTRY.replaces("moto.core.base_backend", "BaseBackend.urls", group=COMPUTE)
def _backend_urls(original: property, hooks: Any) -> property:
    tables: dict[type, Any] = {}

    def _urls(self: Any) -> Any:
        table = tables.get(type(self))
        if table is None:
            table = tables[type(self)] = original.fget(self)  # type: ignore[misc]
        return table

    return property(_urls)
