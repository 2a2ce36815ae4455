"""Small builders for ASL states (JSONPath dialect only), each returning a plain dict.

Kept to the subset moto 5.2.5's interpreter runs (no JSONata, no `Assign`, no
`ItemBatcher`, float `ToleratedFailurePercentage`), which AWS also accepts.
"""
from __future__ import annotations

from typing import Any

from . import arns

State = dict[str, Any]

# Transient Lambda service errors AWS asks every Lambda task to retry
# (docs: concepts-error-handling, "Handle transient Lambda service exceptions"; the
# Lambda integration page adds ClientExecutionTimeoutException to that list).
LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
# Full jitter: a Distributed Map's children hit the account's concurrency limit together;
# without jitter they would retry in lock-step and collide again.
LAMBDA_TRANSIENT_RETRY: dict[str, Any] = {
    "ErrorEquals": list(LAMBDA_TRANSIENT_ERRORS),
    "IntervalSeconds": 2,
    "MaxAttempts": 6,
    "BackoffRate": 2,
    "MaxDelaySeconds": 60,
    "JitterStrategy": "FULL",
}
# Batch SubmitJob is capped at 50 TPS per account: a wide foreach of Batch steps gets
# throttled (Batch.AWSBatchException), so back off well past a second.
BATCH_SUBMIT_RETRY: dict[str, Any] = {
    "ErrorEquals": ["Batch.AWSBatchException"],
    "IntervalSeconds": 2,
    "MaxAttempts": 10,
    "BackoffRate": 2,
    "MaxDelaySeconds": 60,
    "JitterStrategy": "FULL",
}


def transition(state: State, next_state: str | None) -> State:
    """Set `Next`, or `End: true` when there is no next state."""
    if next_state is None:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state


def user_retry(times: int, minutes_between_retries: float) -> dict[str, Any]:
    """@retry as a Retrier; Step Functions wants an integer interval of at least 1 s."""
    return {
        "ErrorEquals": ["States.ALL"],
        "MaxAttempts": int(times),
        "IntervalSeconds": max(1, int(round(minutes_between_retries * 60))),
        "BackoffRate": 1,
    }


def catcher(next_state: str) -> dict[str, Any]:
    return {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": next_state}


def lambda_task(function_token: str, payload: dict[str, Any]) -> State:
    return {
        "Type": "Task",
        "Resource": arns.LAMBDA_INVOKE,
        "Parameters": {"FunctionName": function_token, "Payload": payload},
        "Retry": [dict(LAMBDA_TRANSIENT_RETRY)],
    }


# Every Batch job is bounded: `@timeout`, else this (a hung GPU job is billed by the hour).
# Batch counts it from the attempt's start (RUNNING), with a floor of 60 s; jobs stuck
# RUNNABLE are cancelled by the job queue's state time limit (cdk/batch.py).
BATCH_DEFAULT_ATTEMPT_SECONDS = 24 * 3600
BATCH_MIN_ATTEMPT_SECONDS = 60


def batch_attempt_seconds(timeout_s: int | None) -> int:
    """A Batch job's attemptDurationSeconds: the step's @timeout (at least 60 s), else the default."""
    if not timeout_s:
        return BATCH_DEFAULT_ATTEMPT_SECONDS
    return max(BATCH_MIN_ATTEMPT_SECONDS, int(timeout_s))


def batch_task(job_name: str, queue_token: str, definition_token: str, command: str,
               attempt_seconds: int = BATCH_DEFAULT_ATTEMPT_SECONDS) -> State:
    return {
        "Type": "Task",
        "Resource": arns.BATCH_SUBMIT_JOB_SYNC,
        "Parameters": {
            "JobName": job_name,
            "JobQueue": queue_token,
            "JobDefinition": definition_token,
            "ContainerOverrides": {"Command.$": command},
            "Timeout": {"AttemptDurationSeconds": attempt_seconds},
        },
        "Retry": [dict(BATCH_SUBMIT_RETRY)],
    }


def parallel(branches: list[tuple[str, dict[str, State]]]) -> State:
    return {
        "Type": "Parallel",
        "Branches": [{"StartAt": start, "States": states} for start, states in branches],
        "ResultPath": None,  # branch outputs are discarded: artifacts live in the store
    }


ITEM_SELECTOR = {"run.$": "$.run", "p.$": "$$.Map.Item.Value"}


def inline_map(items_path: str, start: str, states: dict[str, State]) -> State:
    return {
        "Type": "Map",
        "ItemsPath": items_path,
        "ItemSelector": dict(ITEM_SELECTOR),
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": start, "States": states},
        "ResultPath": None,
    }


# Child executions running at once in one Distributed Map (AWS's default is 10,000).
# Lambda's default account concurrency is 1,000 for all functions of a Region, and each
# child runs its body's Lambda tasks one after another, so half of it by default.
DISTRIBUTED_MAX_CONCURRENCY = 500
# A join needs every input, so no failed child is tolerated (AWS's default, said out
# loud): @retry already retried inside the child and @catch turned a caught failure
# into a success there, so a child that still fails is a real failure of the run.
DISTRIBUTED_TOLERATED_FAILURES = 0
LABEL_LIMIT = 40  # characters; child executions are named <label>:<id>
# Reading the items file can fail transiently (S3); no child has started yet, so a retry
# repeats nothing. (A failed ResultWriter is not retried: that would re-run every child.)
ITEM_READER_RETRY: dict[str, Any] = {
    "ErrorEquals": ["States.ItemReaderFailed"],
    "IntervalSeconds": 1,
    "MaxAttempts": 3,
    "BackoffRate": 2,
    "JitterStrategy": "FULL",
}


def map_label(name: str) -> str:
    """A Map Run label from a state-name-like text: allowed characters, at most 40 of them.

    Long names keep their start and get a short hash, so two long labels stay distinct.
    """
    import hashlib

    text = "".join(c if c.isalnum() or c in "_-.@" else "-" for c in name)
    if len(text) <= LABEL_LIMIT:
        return text
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{text[:LABEL_LIMIT - 9]}-{digest}"


def distributed_map(
    bucket_token: str, key_expr: str, results_prefix: str, start: str, states: dict[str, State],
    *, label: str = "", max_concurrency: int = DISTRIBUTED_MAX_CONCURRENCY,
) -> State:
    """A Distributed Map reading its items (a JSON array of task ids) from S3.

    Child executions are STANDARD: a body may hold Batch `.sync` tasks or run longer
    than Express's 5 minutes. Results go to S3 through a ResultWriter, so the Map's
    output is a fixed-size pointer however many children ran (without it, AWS gathers
    every child's output into the state and fails past 256 KiB). Bounded: at most
    `max_concurrency` children at once, none allowed to fail.
    """
    return {
        "Type": "Map",
        "Label": map_label(label or start),
        "MaxConcurrency": int(max_concurrency),
        "ToleratedFailureCount": DISTRIBUTED_TOLERATED_FAILURES,
        "Retry": [dict(ITEM_READER_RETRY)],
        "ItemReader": {
            "Resource": arns.S3_GET_OBJECT,
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket": bucket_token, "Key.$": key_expr},
        },
        "ItemSelector": dict(ITEM_SELECTOR),
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": start,
            "States": states,
        },
        "ResultWriter": {
            "Resource": arns.S3_PUT_OBJECT,
            "Parameters": {"Bucket": bucket_token, "Prefix": results_prefix},
        },
        "ResultPath": None,
    }


def fanout_choice(inline_max: int, inline_state: str, distributed_state: str) -> State:
    """Inline Map when the foreach's items travelled in the state, else Distributed."""
    return {
        "Type": "Choice",
        "Choices": [{"Variable": "$.fe.n", "NumericLessThanEquals": inline_max, "Next": inline_state}],
        "Default": distributed_state,
    }


def clean_state_pass(keep_fe: bool) -> State:
    """Rebuild the state payload without `error` (after a caught failure)."""
    params: dict[str, Any] = {"run.$": "$.run", "p.$": "$.p"}
    if keep_fe:
        params["fe.$"] = "$.fe"
    return {"Type": "Pass", "Parameters": params}


def switch_choice(variable: str, rules: list[tuple[Any, str]]) -> State:
    """A switch: one rule per case value, compared by the value's JSON type.

    No Default: the task already refused a value that is none of the cases (as Metaflow
    does), so an unmatched value can only be a platform fault (States.NoChoiceMatched).
    """
    choices = []
    for value, next_state in rules:
        if isinstance(value, bool):
            test = "BooleanEquals"
        elif isinstance(value, (int, float)):
            test = "NumericEquals"
        else:
            test = "StringEquals"
        choices.append({"Variable": variable, test: value, "Next": next_state})
    return {"Type": "Choice", "Choices": choices}


def loop_entry_pass() -> State:
    """The first iteration of a nested loop: task id `<outer id>.0`."""
    return {"Type": "Pass", "Parameters": {"run.$": "$.run", "p.$": "States.Format('{}.0', $.p)"}}
