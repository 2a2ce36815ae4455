"""The state machine's own run-status writes: how a run ends with a true status in DynamoDB.

The runtime records a run as RUNNING when its start task begins (with its parameters and
tags). Ending the run is the state machine's job, through the DynamoDB service
integration, so that a run whose Lambda crashed, timed out or never started still ends
with a true status:

    <every top-level state>  --no more steps--> run.succeeded (updateItem SUCCEEDED) -> run.done (Succeed)
                             --uncaught error-> run.failed (updateItem FAILED + error)  -> run.failed.raise (Fail)

`run.failed.raise` re-raises the original Error/Cause, so the execution still FAILS with
the error that ended it.

A Distributed Map's child execution fails its parent with `States.ExceedToleratedFailureThreshold`,
which says nothing about what failed. So each child records its own failure first
(`add_child_failure_record`: `run.failed@<foreach>` writes FAILED with the step's real
error, keyed by the run id the child carries in `$.run`, then re-raises it); the parent's
later FAILED write then loses the condition, and the run record keeps the real error.

Both writes are conditional (first terminal status wins); the loser's
`DynamoDB.ConditionalCheckFailedException` is caught and the run carries on.

The updateItem itself (keys, attributes, condition) is part of the table's layout,
spelled once in sfn_compiler/contract/table_layout.py. State names contain a dot, so
they cannot clash with step names (identifiers) or with step helpers (`<step>.catch`, ...).
"""
from __future__ import annotations

from typing import Any

from ..contract.table_layout import (
    CHILD_RUN_ID,
    EXECUTION_RUN_ID,
    RUN_FAILED,
    RUN_SUCCEEDED,
    run_status_update_parameters,
)
from . import arns

__all__ = ["DONE", "FAILED", "RAISE", "SUCCEEDED", "add_child_failure_record", "add_run_status"]

SUCCEEDED = "run.succeeded"
FAILED = "run.failed"
RAISE = "run.failed.raise"
DONE = "run.done"

ERROR_PATH = "$.error"  # where the top-level Catch puts Step Functions' {"Error", "Cause"}
STATUS_WRITE_ERROR_PATH = "$.status_write_error"

CONDITIONAL_CHECK_FAILED = "DynamoDB.ConditionalCheckFailedException"
# Throttles and DynamoDB's own hiccups are worth retrying; anything else (a missing table,
# no permission) is a deployment problem and should be seen. The names are DynamoDB's
# error codes (API reference, "Common errors" and each action's "Errors"): its 500 is
# `InternalServerError`, without "Exception".
DYNAMODB_TRANSIENT_RETRY: dict[str, Any] = {
    "ErrorEquals": [
        "DynamoDB.InternalServerError",
        "DynamoDB.ProvisionedThroughputExceededException",
        "DynamoDB.RequestLimitExceeded",
        "DynamoDB.ThrottlingException",
    ],
    "IntervalSeconds": 1,
    "MaxAttempts": 5,
    "BackoffRate": 2,
    "JitterStrategy": "FULL",  # many children of one Map may write at once
}

_CATCHABLE_TYPES = ("Task", "Parallel", "Map")

# History events the success path adds at the top level: the updateItem Task (entered,
# scheduled, started, succeeded, exited) and the Succeed state (entered, exited).
STATUS_EVENTS = 5 + 2


def _status_task(flow: str, status: str, next_state: str, error_path: str | None,
                 run_id_path: str = EXECUTION_RUN_ID) -> dict[str, Any]:
    catch = [{"ErrorEquals": [CONDITIONAL_CHECK_FAILED], "ResultPath": None, "Next": next_state}]
    if error_path:
        # Failing to record a failure must not hide the failure: re-raise it anyway.
        catch.append({"ErrorEquals": ["States.ALL"], "ResultPath": STATUS_WRITE_ERROR_PATH, "Next": next_state})
    return {
        "Type": "Task",
        "Resource": arns.DYNAMODB_UPDATE_ITEM,
        "Parameters": run_status_update_parameters(flow, status, error_path=error_path, run_id_path=run_id_path),
        "ResultPath": None,  # keep the state payload (the execution's output)
        "Retry": [dict(DYNAMODB_TRANSIENT_RETRY)],
        "Catch": catch,
        "Next": next_state,
    }


def add_run_status(states: dict[str, dict[str, Any]], flow: str) -> dict[str, dict[str, Any]]:
    """The top-level states, ending in the SUCCEEDED write and caught into the FAILED one.

    Every top-level state that ended the flow now leads to `run.succeeded`; every
    top-level Task, Parallel and Map gets a last-resort `States.ALL` catcher (unless a
    @catch already catches everything there: its catch task gets one instead). Errors
    inside a Parallel or Map reach the top-level state that holds them.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, state in states.items():
        state = dict(state)
        if state.pop("End", False):
            state["Next"] = SUCCEEDED
        if state["Type"] in _CATCHABLE_TYPES:
            catchers = list(state.get("Catch", []))
            if not any("States.ALL" in c["ErrorEquals"] for c in catchers):
                catchers.append({"ErrorEquals": ["States.ALL"], "ResultPath": ERROR_PATH, "Next": FAILED})
            state["Catch"] = catchers
        out[name] = state
    out[SUCCEEDED] = _status_task(flow, RUN_SUCCEEDED, DONE, None)
    out[DONE] = {"Type": "Succeed"}
    out[FAILED] = _status_task(flow, RUN_FAILED, RAISE, ERROR_PATH)
    out[RAISE] = {"Type": "Fail", "ErrorPath": f"{ERROR_PATH}.Error", "CausePath": f"{ERROR_PATH}.Cause"}
    return out


def _catch_into(states: dict[str, dict[str, Any]], target: str) -> dict[str, dict[str, Any]]:
    """Each Task/Parallel/Map gets a last-resort States.ALL catcher into `target` (unless it has one)."""
    out: dict[str, dict[str, Any]] = {}
    for name, state in states.items():
        state = dict(state)
        if state["Type"] in _CATCHABLE_TYPES:
            catchers = list(state.get("Catch", []))
            if not any("States.ALL" in c["ErrorEquals"] for c in catchers):
                catchers.append({"ErrorEquals": ["States.ALL"], "ResultPath": ERROR_PATH, "Next": target})
            state["Catch"] = catchers
        out[name] = state
    return out


def add_child_failure_record(states: dict[str, dict[str, Any]], flow: str, suffix: str) -> dict[str, dict[str, Any]]:
    """A Distributed Map child's states, recording an uncaught failure on the run before re-raising it.

    `suffix` is the child's state-name suffix (`@<foreach step>`...), which keeps the two
    added states' names unique in the whole definition. The write is the top level's
    FAILED write keyed by `$.run`; a failure to write it is caught, so the child still
    fails with its own error.
    """
    failed, raise_ = f"{FAILED}{suffix}", f"{RAISE}{suffix}"
    out = _catch_into(states, failed)
    out[failed] = _status_task(flow, RUN_FAILED, raise_, ERROR_PATH, run_id_path=CHILD_RUN_ID)
    out[raise_] = {"Type": "Fail", "ErrorPath": f"{ERROR_PATH}.Error", "CausePath": f"{ERROR_PATH}.Cause"}
    return out
