"""What a Task state's Resource does, locally: the Step Functions side of each service
integration the compiler emits, in front of a `Workers` seam that runs the task.

* lambda:invoke -> the Payload goes to a worker; the output has Lambda's shape
  ({"ExecutedVersion", "Payload", "StatusCode"}), so `$.Payload.x` selectors work; the
  step's exception class name is the error, its message the cause.
* batch:submitJob.sync -> the envelope is rebuilt from the container command; the output
  is a DescribeJobs-like record; a failed job fails the state with States.TaskFailed and
  the record as the cause, as AWS does.
* dynamodb:* on the run's own table -> the run-status writes: answered `{}` and dropped
  (a local run's status is recorded in the local store).
"""
from __future__ import annotations

import json
import time
from typing import Any, Protocol

from sfn_compiler.contract import envelope as env_contract

from .definition import BATCH_SUBMIT_SYNC, DYNAMODB_PREFIX, LAMBDA_INVOKE, State
from .errors import ITEM_READER_FAILED, TASK_FAILED, StatesError

__all__ = ["Services", "Workers", "job_description"]


class Workers(Protocol):
    """The engine's side: which targets are its own, running a task, reading items."""

    def is_routed(self, kind: str, target: str) -> bool:
        """kind: "lambda" (FunctionName), "batch" (JobQueue) or "dynamodb" (TableName)."""

    def submit(self, kind: str, payload: dict[str, Any], scope: Any, timeout: float | None) -> Any:
        """Run one task envelope; its result, StatesError(name, message), or Cancelled.

        A `timeout` that passes fails it with States.Timeout; cancelling `scope` stops it.
        """

    def read_object(self, bucket: str, key: str) -> bytes:
        """An object of the artifact bucket (a Distributed Map's items); OSError if missing."""


class Services:
    def __init__(self, workers: Workers) -> None:
        self.workers = workers

    def run(self, state: State, parameters: Any, scope: Any) -> Any:
        resource = state.resource
        if not isinstance(parameters, dict):
            raise StatesError("States.Runtime", f"Task state '{state.name}': Parameters must be an object")
        if resource == LAMBDA_INVOKE:
            return self._lambda(state, parameters, scope)
        if resource == BATCH_SUBMIT_SYNC:
            return self._batch(state, parameters, scope)
        if resource.startswith(DYNAMODB_PREFIX):
            table = str(parameters.get("TableName", ""))
            if self.workers.is_routed("dynamodb", table):
                return {}  # UpdateItem without ReturnValues answers {}
            raise StatesError("DynamoDB.ResourceNotFoundException", f"Requested resource not found: table {table}")
        raise StatesError("States.Runtime", f"Task state '{state.name}': resource {resource} is not runnable locally")

    def _lambda(self, state: State, parameters: dict[str, Any], scope: Any) -> Any:
        function = str(parameters.get("FunctionName", ""))
        if not self.workers.is_routed("lambda", function):
            raise StatesError("Lambda.ResourceNotFoundException", f"Function not found: {function}")
        payload = parameters.get("Payload")
        if isinstance(payload, (str, bytes)):
            try:
                payload = json.loads(payload)
            except ValueError as exc:
                raise StatesError(env_contract.PLATFORM_ERROR, f"bad task envelope: {exc}") from None
        if not isinstance(payload, dict):
            raise StatesError(env_contract.PLATFORM_ERROR, "bad task envelope: the Payload is not an object")
        result = self.workers.submit("lambda", payload, scope, state.timeout)
        return {"ExecutedVersion": "$LATEST", "Payload": result, "StatusCode": 200}

    def _batch(self, state: State, parameters: dict[str, Any], scope: Any) -> Any:
        queue = str(parameters.get("JobQueue", ""))
        if not self.workers.is_routed("batch", queue):
            raise StatesError("Batch.ClientException", f"job queue {queue} does not exist")
        command = list((parameters.get("ContainerOverrides") or {}).get("Command") or [])
        try:
            # ["python", "-m", "runtime.batch_main" | "-c", <bootstrap>, "--flow", ...]: strips either program
            payload = env_contract.envelope_from_batch_command(command).to_payload()
        except (ValueError, KeyError, TypeError, SystemExit) as exc:
            raise StatesError(env_contract.PLATFORM_ERROR, f"bad task envelope: {exc}") from None
        job_id = f"sfnflow-{time.monotonic_ns():x}"
        submission = {"JobId": job_id, "JobName": parameters.get("JobName", ""),
                      "JobArn": f"{queue.split(':job-queue/')[0]}:job/{job_id}", "__params__": parameters,
                      "__queue__": queue}
        try:
            result = self.workers.submit("batch", payload, scope, state.timeout)
        except StatesError as exc:
            if exc.error.startswith("States."):
                raise  # States.Timeout: the state timed out, the job did not fail
            job = job_description(submission, None, failure=f"{exc.error}: {exc.cause}")
            raise StatesError(TASK_FAILED, json.dumps(job)) from None
        return job_description(submission, result)

    def read_items(self, location: Any) -> Any:
        """The JSON array a Distributed Map's ItemReader names (Bucket + Key)."""
        bucket, key = str(location.get("Bucket", "")), str(location.get("Key", ""))
        try:
            body = self.workers.read_object(bucket, key)
        except OSError as exc:
            raise StatesError(ITEM_READER_FAILED, f"cannot read s3://{bucket}/{key}: {exc}") from None
        try:
            return json.loads(body)
        except ValueError as exc:
            raise StatesError(ITEM_READER_FAILED, f"s3://{bucket}/{key} is not JSON: {exc}") from None


def job_description(submission: dict[str, Any], result: Any, failure: str | None = None) -> dict[str, Any]:
    """A DescribeJobs-like record, the output AWS gives a `batch:submitJob.sync` state."""
    params = submission["__params__"]
    overrides = params.get("ContainerOverrides") or {}
    now = int(time.time() * 1000)
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
