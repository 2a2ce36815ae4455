"""The state machine's own run-status writes: how a run ends with a true status in DynamoDB.

The runtime records a run as RUNNING when its start task begins (with its parameters and
tags). Ending the run is the state machine's job, through the DynamoDB service
integration, so that a run whose Lambda crashed, timed out or never started still ends
with a true status:

    <every top-level state>  --no more steps--> run.succeeded (updateItem SUCCEEDED) -> run.done (Succeed)
                             --uncaught error-> run.failed (updateItem FAILED + error)  -> run.failed.raise (Fail)

`run.failed.raise` re-raises the original Error/Cause, so the execution still FAILS with
the error that ended it. Both writes are conditional (first terminal status wins); the
loser's `DynamoDB.ConditionalCheckFailedException` is caught and the run carries on.

The key names below are the one spelling of them: runtime/stores/dynamo_keys.py (the
rest of the table's layout) imports them from here, since this package must not import
`runtime`. State names contain a dot, so they cannot clash with step names (identifiers)
or with step helpers (`<step>.catch`, ...).
"""
from __future__ import annotations

from typing import Any

from . import arns

__all__ = ["DONE", "FAILED", "RAISE", "SUCCEEDED", "add_run_status", "run_status_update_parameters"]

SUCCEEDED = "run.succeeded"
FAILED = "run.failed"
RAISE = "run.failed.raise"
DONE = "run.done"

ERROR_PATH = "$.error"  # where the top-level Catch puts Step Functions' {"Error", "Cause"}
STATUS_WRITE_ERROR_PATH = "$.status_write_error"

CONDITIONAL_CHECK_FAILED = "DynamoDB.ConditionalCheckFailedException"
# Throttles and DynamoDB's own hiccups are worth retrying; anything else (a missing table,
# no permission) is a deployment problem and should be seen.
DYNAMODB_TRANSIENT_RETRY: dict[str, Any] = {
    "ErrorEquals": [
        "DynamoDB.ProvisionedThroughputExceededException",
        "DynamoDB.RequestLimitExceeded",
        "DynamoDB.ThrottlingException",
        "DynamoDB.InternalServerErrorException",
    ],
    "IntervalSeconds": 1,
    "MaxAttempts": 5,
    "BackoffRate": 2,
}

# -- the key names the status write shares with runtime.stores.dynamo_keys ----------------
PK, SK, GPK, GSK = "pk", "sk", "gpk", "gsk"
RUN_SK = "RUN"
RUN_RUNNING = "RUNNING"
RUN_SUCCEEDED = "SUCCEEDED"
RUN_FAILED = "FAILED"
_CATCHABLE_TYPES = ("Task", "Parallel", "Map")

# History events the success path adds at the top level: the updateItem Task (entered,
# scheduled, started, succeeded, exited) and the Succeed state (entered, exited).
STATUS_EVENTS = 5 + 2


def run_status_update_parameters(
    flow: str, status: str, *, table: str | None = None, error_path: str | None = None,
) -> dict[str, Any]:
    """ASL `Parameters` of an `arn:aws:states:::dynamodb:updateItem` Task ending a run.

    Top level only (`$$.Execution.Name` is the run id there). The condition lets the
    write through only while the run is RUNNING or not recorded at all; a run never
    recorded (its start task crashed first) is created with just enough to list under
    its flow, newest first, at the time this state entered.
    """
    names = {"#st": "status", "#fin": "finished_iso", "#flow": "flow", "#run": "run_id",
             "#gpk": GPK, "#gsk": GSK}
    values: dict[str, Any] = {
        ":st": {"S": status},
        ":running": {"S": RUN_RUNNING},
        ":now": {"S.$": "$$.State.EnteredTime"},
        ":flow": {"S": flow},
        ":run": {"S.$": "$$.Execution.Name"},
        ":gpk": {"S": f"FLOW#{flow}"},
        # Not $$.Execution.StartTime: moto's interpreter hands it over as a datetime it
        # cannot serialise. A run first recorded here lists at its end time.
        ":gsk": {"S.$": "States.Format('{}#{}', $$.State.EnteredTime, $$.Execution.Name)"},
    }
    sets = ["#st = :st", "#fin = :now", "#flow = if_not_exists(#flow, :flow)",
            "#run = if_not_exists(#run, :run)", "#gpk = if_not_exists(#gpk, :gpk)",
            "#gsk = if_not_exists(#gsk, :gsk)"]
    if error_path:
        names["#err"] = "sfn_error"
        values[":err"] = {"S.$": f"States.JsonToString({error_path})"}
        sets.append("#err = :err")
    return {
        "TableName": table or arns.metadata_table_placeholder().token,
        "Key": {
            PK: {"S.$": f"States.Format('RUN#{flow}#{{}}', $$.Execution.Name)"},
            SK: {"S": RUN_SK},
        },
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": "attribute_not_exists(#st) OR #st = :running",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _status_task(flow: str, status: str, next_state: str, error_path: str | None) -> dict[str, Any]:
    catch = [{"ErrorEquals": [CONDITIONAL_CHECK_FAILED], "ResultPath": None, "Next": next_state}]
    if error_path:
        # Failing to record a failure must not hide the failure: re-raise it anyway.
        catch.append({"ErrorEquals": ["States.ALL"], "ResultPath": STATUS_WRITE_ERROR_PATH, "Next": next_state})
    return {
        "Type": "Task",
        "Resource": arns.DYNAMODB_UPDATE_ITEM,
        "Parameters": run_status_update_parameters(flow, status, error_path=error_path),
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
