"""Watch a deployed run until it ends: the execution's status from Step Functions, the
per-step progress (tasks done / running / failed) from the run's metadata.

    outcome = wait_for_run(deployed, run_id, on_progress=print_steps)
    outcome.status   # SUCCEEDED | FAILED | TIMED_OUT | ABORTED
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from .deployed import DeployedFlow
from .errors import OperateError
from .status import StepProgress, step_progress

__all__ = ["RunOutcome", "execution_arn_of", "wait_for_run"]

ProgressSink = Callable[[str, list[StepProgress]], None]  # (execution status, steps)


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    status: str
    error: str | None
    cause: str | None
    steps: tuple[StepProgress, ...]

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"


def execution_arn_of(deployed: DeployedFlow, run_id: str) -> str:
    """Execution ARNs are the state machine's ARN with `execution` and the name (the run id)."""
    prefix, _, machine = deployed.state_machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:execution:{machine}:{run_id}"


def wait_for_run(deployed: DeployedFlow, run_id: str, *, on_progress: ProgressSink | None = None,
                 poll: float = 1.0, timeout: float | None = None, sfn: Any = None, metadata: Any = None,
                 sleep: Callable[[float], None] = time.sleep) -> RunOutcome:
    """Poll until the execution ends; report progress whenever it changes.

    Raises OperateError: no such execution, or still running after `timeout` seconds.
    """
    import botocore.exceptions as bx

    client = sfn or deployed.target.client("stepfunctions")
    store = metadata if metadata is not None else deployed.stores().metadata
    arn = execution_arn_of(deployed, run_id)
    deadline = None if timeout is None else time.monotonic() + timeout
    last: tuple[Any, ...] | None = None
    while True:
        try:
            described = client.describe_execution(executionArn=arn)
        except bx.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                raise OperateError(f"{deployed.name} has no run {run_id!r} (no execution {arn}).") from None
            raise OperateError(f"Step Functions refused to describe {arn}: {exc}") from None
        status = str(described["status"])
        steps = step_progress(store.list_tasks(deployed.name, run_id))
        seen = (status, tuple((s.step, s.succeeded, s.running, s.failed, s.reused, s.caught) for s in steps))
        if seen != last and on_progress is not None:
            on_progress(status, steps)
        last = seen
        if status != "RUNNING" and status != "PENDING_REDRIVE":
            return RunOutcome(run_id, status, described.get("error"), described.get("cause"), tuple(steps))
        if deadline is not None and time.monotonic() > deadline:
            raise OperateError(f"run {deployed.name}/{run_id} is still {status} after {timeout:.0f} s; "
                               f"watch it with `sfnflow status {run_id}`.")
        sleep(poll)
