"""Retry, catch and uncaught failures under moto, as they behave locally; the run's end
status is written by the state machine itself (sfn_compiler/asl/status.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudrun_util import FLOWS, ROOT, compiled, read_cloud, run_local

FAILING = str(FLOWS / "failing.py")


def _task_failures(cloud: Any, execution_arn: str) -> list[tuple[str, str]]:
    return [(e["taskFailedEventDetails"]["error"], json.loads(e["taskFailedEventDetails"]["cause"])["errorType"])
            for e in cloud.history(execution_arn) if e["type"] == "TaskFailed"]


def test_retry_reruns_the_failed_attempt_like_locally(tmp_path: Path) -> None:
    from sfnflow.emulate.harness import MotoCloud

    path = str(ROOT / "examples/retry.py")
    local = run_local(path, str(tmp_path))
    with MotoCloud() as cloud:
        result = cloud.run(cloud.deploy(path, compiled(path)[1]), "retry-1")
        assert result.status == "SUCCEEDED", result.cause
        # The first attempt's ConnectionError reached Step Functions as a Lambda error named
        # after the runtime's exception class, and the @retry Retrier matched it.
        assert _task_failures(cloud, result.execution_arn) == [("UserCodeError", "UserCodeError")]
        remote = read_cloud(cloud, "RetryFlow")
    assert remote["tasks"][("flaky", "0")]["attempts"] == ["FAILED", "SUCCEEDED"]
    assert remote["tasks"][("flaky", "0")] == local["tasks"][("flaky", "0")]
    assert remote["tasks"][("flaky", "0")]["data"]["attempts"] == 2


def test_catch_records_the_failure_and_finishes_like_locally(tmp_path: Path) -> None:
    from sfnflow.emulate.harness import MotoCloud

    path = str(ROOT / "examples/catch.py")
    local = run_local(path, str(tmp_path))
    with MotoCloud() as cloud:
        result = cloud.run(cloud.deploy(path, compiled(path)[1]), "catch-1")
        assert result.status == "SUCCEEDED", result.cause
        states = [e.get("stateEnteredEventDetails", {}).get("name") for e in cloud.history(result.execution_arn)]
        remote = read_cloud(cloud, "CatchFlow")
    assert "divide.catch" in states and "run.failed" not in states
    assert remote["tasks"][("divide", "0")]["status"] == "CAUGHT"
    failure = remote["tasks"][("end", "0")]["data"]["failure"]
    assert failure[2:] == ("builtins.ZeroDivisionError", "division by zero")
    assert remote["tasks"] == local["tasks"] and remote["status"] == local["status"] == "SUCCEEDED"


def test_a_step_that_raises_leaves_the_run_failed_and_keeps_earlier_artifacts(cloud: Any, tmp_path: Path) -> None:
    graph, flow = compiled(FAILING)
    result = cloud.run(cloud.deploy(FAILING, flow), "fail-1")
    # The execution still fails, with the step's error re-raised after the status write.
    assert result.status == "FAILED" and result.error == "UserCodeError"
    assert "kaboom" in json.loads(result.cause)["errorMessage"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in cloud.history(result.execution_arn)
               if "stateEnteredEventDetails" in e]
    assert entered[-2:] == ["run.failed", "run.failed.raise"]

    item = cloud.client("dynamodb").get_item(TableName=cloud.table, ConsistentRead=True, Key={
        "pk": {"S": "RUN#FailingFlow#fail-1"}, "sk": {"S": "RUN"}})["Item"]
    assert item["status"] == {"S": "FAILED"}
    assert json.loads(item["sfn_error"]["S"])["Error"] == "UserCodeError"  # written by the state machine
    remote = read_cloud(cloud, "FailingFlow")
    assert remote["status"] == "FAILED"
    assert remote["error"]["type"] == "UserCodeError" and "kaboom" in remote["error"]["message"]
    assert remote["tasks"][("start", "0")]["data"]["before"] == 41  # nothing written before is lost
    assert remote["tasks"][("boom", "0")]["status"] == "FAILED"
    # What the step set before it raised is kept (as Metaflow keeps it), apart from finished tasks' indexes.
    assert remote["tasks"][("boom", "0")]["data"] == {"before": 41, "partial": "kept: set before the raise"}
    assert ("end", "0") not in remote["tasks"]


def test_a_crashed_start_still_ends_failed_and_listed(cloud: Any) -> None:
    """The start Lambda dies before the runtime records the run: only the state machine writes it."""
    deployed = cloud.deploy(FAILING, compiled(FAILING)[1])
    name = deployed.functions["default"].rsplit(":", 1)[-1]
    lam = cloud.client("lambda")
    variables = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    variables.pop("SFNFLOW_TABLE")  # a broken deployment: the handler can't reach the metadata store
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
    result = cloud.run(deployed, "crash-1")
    assert result.status == "FAILED" and result.error == "PlatformError"
    remote = read_cloud(cloud, "FailingFlow")  # latest_run finds it through the flow's index
    assert remote["id"] == "crash-1" and remote["status"] == "FAILED"
    assert remote["error"]["type"] == "PlatformError" and "SFNFLOW_TABLE" in remote["error"]["message"]
    assert remote["tasks"] == {}


def test_local_run_of_the_failing_flow_agrees(tmp_path: Path) -> None:
    local = run_local(FAILING, str(tmp_path))
    assert local["status"] == "FAILED" and local["tasks"][("start", "0")]["data"]["before"] == 41
    assert local["tasks"][("boom", "0")]["status"] == "FAILED"


@pytest.mark.slow  # waits out the example's 10 s limit
def test_a_timed_out_step_ends_the_run_failed_and_keeps_what_it_set(cloud: Any) -> None:
    path = str(ROOT / "examples/timeout.py")
    result = cloud.run(cloud.deploy(path, compiled(path)[1]), "slow-1", {"sleep": 11})
    # The task stops the step at its @timeout itself (before the state machine's backstop),
    # so the run fails with the step's error, as a raising step would.
    assert result.status == "FAILED" and result.error == "UserCodeError"
    assert "TimeoutException" in json.loads(result.cause)["errorMessage"]
    remote = read_cloud(cloud, "TimeoutFlow")
    assert remote["status"] == "FAILED"
    assert remote["tasks"][("start", "0")]["data"]["sleep"] == 11
    assert remote["tasks"][("slow_step", "0")]["data"]["asked"] == 11
