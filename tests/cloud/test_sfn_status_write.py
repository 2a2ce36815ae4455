"""The state machine's own run-status write (dynamodb:updateItem), executed by moto's
Step Functions interpreter against the same table the runtime uses."""
from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from runtime.stores.base import RunRecord
from sfn_compiler.contract.table_layout import run_status_update_parameters
from runtime.stores.dynamodb import DynamoMetadataStore

ROLE = "arn:aws:iam::123456789012:role/sfn"


@pytest.fixture
def sfn(aws: None, ddb: Any) -> Any:
    import boto3
    from moto.core.config import default_user_config

    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    saved = dict(default_user_config["stepfunctions"])
    default_user_config["stepfunctions"]["execute_state_machine"] = True
    yield boto3.client("stepfunctions", region_name="us-east-1")
    default_user_config["stepfunctions"].clear()
    default_user_config["stepfunctions"].update(saved)


def _machine(table: str) -> dict[str, Any]:
    """Mark the run FAILED the way a top-level Catch would; lose quietly if it already ended."""
    return {
        "StartAt": "mark_failed",
        "States": {
            "mark_failed": {
                "Type": "Task", "Resource": "arn:aws:states:::dynamodb:updateItem",
                "Parameters": run_status_update_parameters("TrainFlow", "FAILED", table=table, error_path="$.error"),
                "ResultPath": None,
                "Catch": [{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": None,
                           "Next": "lost"}],
                "Next": "done",
            },
            "lost": {"Type": "Pass", "Result": {"lost": True}, "End": True},
            "done": {"Type": "Pass", "Result": {"lost": False}, "End": True},
        },
    }


def _execute(sfn: Any, table: str, name: str) -> dict[str, Any]:
    arn = sfn.create_state_machine(name=f"sm-{name}", definition=json.dumps(_machine(table)),
                                   roleArn=ROLE)["stateMachineArn"]
    cause = json.dumps({"errorType": "UserCodeError", "errorMessage": "step 'train' failed: boom"})
    execution = sfn.start_execution(stateMachineArn=arn, name=name,
                                    input=json.dumps({"error": {"Error": "UserCodeError", "Cause": cause}}))
    deadline = time.time() + 10
    while time.time() < deadline:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            assert described["status"] == "SUCCEEDED", described
            return json.loads(described["output"])
        time.sleep(0.02)
    raise AssertionError("execution did not finish")


def test_state_machine_marks_running_run_failed(sfn: Any, meta: DynamoMetadataStore, table: str) -> None:
    meta.create_run(RunRecord("TrainFlow", "run-1", created_at=time.time(), parameters={"a": "1"}))
    assert _execute(sfn, table, "run-1") == {"lost": False}
    got = meta.get_run("TrainFlow", "run-1")
    assert got is not None and got.status == "FAILED" and got.parameters == {"a": "1"}
    assert got.error == {"type": "UserCodeError", "message": "step 'train' failed: boom"}
    assert got.finished_at is not None and got.finished_at > got.created_at - 1


def test_runtime_status_written_first_wins(sfn: Any, meta: DynamoMetadataStore, table: str) -> None:
    meta.create_run(RunRecord("TrainFlow", "run-2", created_at=time.time()))
    meta.finish_run("TrainFlow", "run-2", "SUCCEEDED")
    assert _execute(sfn, table, "run-2") == {"lost": True}
    got = meta.get_run("TrainFlow", "run-2")
    assert got is not None and got.status == "SUCCEEDED" and got.error is None


def test_run_never_recorded_still_ends_listed(sfn: Any, meta: DynamoMetadataStore, table: str) -> None:
    # The start step's Lambda crashed before it could record the run.
    assert _execute(sfn, table, "run-3") == {"lost": False}
    runs = meta.list_runs("TrainFlow")
    assert [(r.run_id, r.status, r.flow) for r in runs] == [("run-3", "FAILED", "TrainFlow")]
    assert runs[0].created_at > 0
