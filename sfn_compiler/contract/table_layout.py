"""The layout of sfnflow's one DynamoDB metadata table, as plain data (pure, standard library only).

Everything that must agree on it reads it from here: the runtime's `DynamoMetadataStore`,
the CDK stacks (`table_definition`), the emulation, and the state machine's own
run-status writes (`run_status_update_parameters`, emitted by sfn_compiler/asl/status.py).

One table, on-demand, generic key names so that several item kinds share it:

    item         pk                      sk                            gpk / gsk (index NEWEST_FIRST)
    run          RUN#<flow>#<run>        RUN                           FLOW#<flow>      / <created>#<run>
    attempt      RUN#<flow>#<run>        ATT#<step>#<task>#<attempt8>  -
    run tag      RUN#<flow>#<run>        TAG#<tag>                     TAG#<flow>#<tag> / <created>#<run>
    flow marker  FLOWS                   <flow>                        -

- "Runs of a flow, newest first": Query NEWEST_FIRST on gpk=FLOW#<flow>, descending.
  `<created>` is the run's start time as ISO-8601 UTC with milliseconds
  (`2024-05-01T12:00:00.123Z`, the shape of Step Functions' `$$.Execution.StartTime`),
  so it sorts by time even when run ids do not (EventBridge starts executions with
  UUID names); the run id after it breaks ties and keeps keys unique.
- "Steps and tasks of a run": one Query on pk=RUN#<flow>#<run> (the run item, its tags
  and every attempt); `begins_with(sk, "ATT#<step>#")` narrows it to one step. Attempt
  numbers are zero-padded so a task's attempts come back oldest first.
- "Runs with a tag": Query NEWEST_FIRST on gpk=TAG#<flow>#<tag>; tag items carry only
  the run id, the run items are then read by key (statuses change; copies would go stale).
- Flow names are Python identifiers and Step Functions execution names cannot contain
  `#`, so `#` separates key parts unambiguously.
"""
from __future__ import annotations

import time
from typing import Any

from ..asl import arns

__all__ = [
    "ATTEMPT_PREFIX", "ATTR_FINISHED_ISO", "ATTR_FLOW", "ATTR_RUN_ID", "ATTR_SFN_ERROR", "ATTR_STATUS",
    "FLOWS_PK", "GPK", "GSK", "INDEX_NEWEST_FIRST", "PK", "RUN_FAILED", "RUN_RUNNING", "RUN_SK",
    "RUN_SUCCEEDED", "SK", "TABLE_PLACEHOLDER", "TAG_PREFIX", "attempt_prefix", "attempt_sk", "created_key",
    "flow_gpk", "iso_ms", "parse_iso", "run_pk", "run_status_update_parameters", "table_definition",
    "tag_gpk", "tag_sk",
]

# Generic key names, so that several item kinds share the table and its one index.
PK, SK, GPK, GSK = "pk", "sk", "gpk", "gsk"
INDEX_NEWEST_FIRST = "newest_first"

RUN_SK = "RUN"
ATTEMPT_PREFIX = "ATT#"
TAG_PREFIX = "TAG#"
FLOWS_PK = "FLOWS"

_ATTEMPT_DIGITS = 8  # Step Functions allows MaxAttempts up to 99999999

# Run item attributes that both the runtime and the state machine write.
ATTR_STATUS = "status"
ATTR_FLOW = "flow"
ATTR_RUN_ID = "run_id"
ATTR_FINISHED_ISO = "finished_iso"  # the state machine's end time (ISO text; the runtime writes finished_at)
ATTR_SFN_ERROR = "sfn_error"  # Step Functions' {"Error", "Cause"} as JSON text

# A run's statuses (runtime.stores.base adds ABORTED, which only local runs record).
RUN_RUNNING = "RUNNING"
RUN_SUCCEEDED = "SUCCEEDED"
RUN_FAILED = "FAILED"

# The table's placeholder in emitted ASL (filled like arns.py's other placeholders).
TABLE_PLACEHOLDER = arns.metadata_table_placeholder().token


# -- keys ------------------------------------------------------------------------------------
def run_pk(flow: str, run_id: str) -> str:
    return f"RUN#{flow}#{run_id}"


def attempt_prefix(step: str | None = None, task: str | None = None) -> str:
    """sk prefix selecting every attempt, a step's attempts, or one task's attempts."""
    if step is None:
        return ATTEMPT_PREFIX
    if task is None:
        return f"{ATTEMPT_PREFIX}{step}#"
    # The trailing '#' keeps task "3" from matching "3.7" or "31".
    return f"{ATTEMPT_PREFIX}{step}#{task}#"


def attempt_sk(step: str, task: str, attempt: int) -> str:
    return f"{attempt_prefix(step, task)}{int(attempt):0{_ATTEMPT_DIGITS}d}"


def tag_sk(tag: str) -> str:
    return f"{TAG_PREFIX}{tag}"


def flow_gpk(flow: str) -> str:
    return f"FLOW#{flow}"


def tag_gpk(flow: str, tag: str) -> str:
    return f"TAG#{flow}#{tag}"


def iso_ms(ts: float) -> str:
    """Seconds since the epoch -> `2024-05-01T12:00:00.123Z` (sorts as text)."""
    whole = int(ts)
    millis = int(round((ts - whole) * 1000))
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def parse_iso(text: str) -> float | None:
    """Inverse of iso_ms, lenient about the fraction (Step Functions' timestamps); None if unparsable."""
    import calendar

    try:
        whole = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return None
    digits = ""
    if text[19:20] == ".":  # "...:00.123Z" (Step Functions) or "...:00.123456+00:00" (moto)
        for ch in text[20:]:
            if not ch.isdigit():
                break
            digits += ch
    return whole + (float(f"0.{digits}") if digits else 0.0)


def created_key(created_at: float, run_id: str) -> str:
    return _created_key_shape(iso_ms(created_at), run_id)


def _created_key_shape(created_iso: str, run_id: str) -> str:
    return f"{created_iso}#{run_id}"


# -- the table -------------------------------------------------------------------------------
def table_definition(table_name: str) -> dict[str, Any]:
    """CreateTable kwargs (boto3 spelling) for the metadata table; the CDK stack mirrors them.

    On-demand billing: a deployed flow costs nothing while idle. One GSI, overloaded for
    runs by time and runs by tag, projecting ALL so that listing runs needs no extra reads.
    """
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": PK, "AttributeType": "S"},
            {"AttributeName": SK, "AttributeType": "S"},
            {"AttributeName": GPK, "AttributeType": "S"},
            {"AttributeName": GSK, "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [{
            "IndexName": INDEX_NEWEST_FIRST,
            "KeySchema": [
                {"AttributeName": GPK, "KeyType": "HASH"},
                {"AttributeName": GSK, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }],
    }


# -- the state machine's write of a run's end ---------------------------------------------
EXECUTION_RUN_ID = "$$.Execution.Name"  # where the run id is at a state machine's top level
CHILD_RUN_ID = "$.run"  # ... and in a Distributed Map's child execution (its item selector)


def run_status_update_parameters(
    flow: str, status: str, *, table: str | None = None, error_path: str | None = None,
    run_id_path: str = EXECUTION_RUN_ID,
) -> dict[str, Any]:
    """ASL `Parameters` of an `arn:aws:states:::dynamodb:updateItem` Task ending a run.

    `run_id_path` is where the run id is: `$$.Execution.Name` at the top level, `$.run`
    in a Distributed Map's child execution. The condition lets the
    write through only while the run is RUNNING or not recorded at all; a run never
    recorded (its start task crashed first) is created with just enough to list under
    its flow, newest first, at the time this state entered.
    """
    # The keys as ASL intrinsics: the same builders, with `{}` where the run id and time go.
    pk_format = f"States.Format('{run_pk(flow, '{}')}', {run_id_path})"
    gsk_format = f"States.Format('{_created_key_shape('{}', '{}')}', $$.State.EnteredTime, {run_id_path})"
    names = {"#st": ATTR_STATUS, "#fin": ATTR_FINISHED_ISO, "#flow": ATTR_FLOW, "#run": ATTR_RUN_ID,
             "#gpk": GPK, "#gsk": GSK}
    values: dict[str, Any] = {
        ":st": {"S": status},
        ":running": {"S": RUN_RUNNING},
        ":now": {"S.$": "$$.State.EnteredTime"},
        ":flow": {"S": flow},
        ":run": {"S.$": run_id_path},
        ":gpk": {"S": flow_gpk(flow)},
        # Not $$.Execution.StartTime: moto's interpreter hands it over as a datetime it
        # cannot serialise. A run first recorded here lists at its end time.
        ":gsk": {"S.$": gsk_format},
    }
    sets = ["#st = :st", "#fin = :now", "#flow = if_not_exists(#flow, :flow)",
            "#run = if_not_exists(#run, :run)", "#gpk = if_not_exists(#gpk, :gpk)",
            "#gsk = if_not_exists(#gsk, :gsk)"]
    if error_path:
        names["#err"] = ATTR_SFN_ERROR
        values[":err"] = {"S.$": f"States.JsonToString({error_path})"}
        sets.append("#err = :err")
    return {
        "TableName": table or TABLE_PLACEHOLDER,
        "Key": {
            PK: {"S.$": pk_format},
            SK: {"S": RUN_SK},
        },
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": "attribute_not_exists(#st) OR #st = :running",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
