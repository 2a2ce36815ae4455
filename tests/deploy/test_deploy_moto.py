"""Deploy synthesized stacks to moto's CloudFormation (the patched emulator server) and run them.

The same path as `sfnflow deploy`: synth -> datastore stack -> publish the code package ->
flow stack, with boto3 against AWS_ENDPOINT_URL. Lambda steps then run their packaged
code in child processes and Batch steps run as subprocesses.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from typing import Any

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _execute(sfn: Any, arn: str, name: str, timeout: float = 120) -> dict[str, Any]:
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps({"parameters": {}}))
    deadline = time.time() + timeout
    while time.time() < deadline:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.1)
    raise AssertionError(f"execution {name} still RUNNING after {timeout} s")


def _deploy(flow_file: str, **config: Any) -> Any:
    from cdk.config import DeployConfig
    from sfnflow.deploy import aws_session, deploy_flow

    lines: list[str] = []
    result = deploy_flow(DeployConfig(flow_file=flow_file, **config), aws_session(), on_event=lines.append,
                         poll=0.05)
    result.extra_lines = lines
    return result


@pytest.mark.slow
def test_deployed_flow_runs_and_redeploys_as_a_no_op(emulator: Any) -> None:
    import boto3

    first = _deploy(os.path.join(ROOT, "examples", "foreach.py"))
    assert (first.datastore.action, first.flow.action) == ("created", "created")
    assert [a.uploaded for a in first.assets] == [True]
    outputs = first.flow.outputs
    sfn = boto3.client("stepfunctions")
    described = _execute(sfn, outputs["StateMachineArn"], "run-1")
    assert described["status"] == "SUCCEEDED", described.get("cause")

    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=outputs["BucketName"])["Contents"]]
    assert any(k.startswith("ForeachFlow/run-1/end/0/") for k in keys), keys
    assert any(k.startswith("ForeachFlow/data/") for k in keys)
    run = boto3.client("dynamodb").get_item(TableName=outputs["TableName"],
                                            Key={"pk": {"S": "RUN#ForeachFlow#run-1"}, "sk": {"S": "RUN"}})
    assert run["Item"]["status"]["S"] == "SUCCEEDED"

    second = _deploy(os.path.join(ROOT, "examples", "foreach.py"))
    assert (second.datastore.action, second.flow.action) == ("unchanged", "unchanged")
    assert [a.uploaded for a in second.assets] == [False]
    assert not second.changed


@pytest.mark.slow
def test_changing_one_steps_code_updates_only_the_functions(emulator: Any, tmp_path: Any) -> None:
    import boto3

    flow = tmp_path / "linear.py"
    shutil.copy(os.path.join(ROOT, "examples", "linear.py"), flow)
    first = _deploy(str(flow))
    sfn, lam = boto3.client("stepfunctions"), boto3.client("lambda")
    arn = first.flow.outputs["StateMachineArn"]
    before_machine = sfn.describe_state_machine(stateMachineArn=arn)
    functions = [f for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith("LinearFlow")]
    before_code = {f["FunctionName"]: f["CodeSha256"] for f in functions}

    flow.write_text(flow.read_text().replace("sum(self.squares)", "sum(self.squares) + 1"))
    second = _deploy(str(flow))
    assert second.flow.action == "updated"
    assert second.flow.changes == {"added": [], "removed": [],
                                   "modified": sorted(k for k in first.flow.changes["added"]
                                                      if k.startswith("Function") and "Role" not in k)}
    after_machine = sfn.describe_state_machine(stateMachineArn=arn)
    assert after_machine["definition"] == before_machine["definition"]
    assert after_machine["creationDate"] == before_machine["creationDate"]
    after_code = {f["FunctionName"]: f["CodeSha256"] for f in lam.list_functions()["Functions"]
                  if f["FunctionName"] in before_code}
    assert all(after_code[name] != sha for name, sha in before_code.items())

    described = _execute(sfn, arn, "run-2")
    assert described["status"] == "SUCCEEDED", described.get("cause")


@pytest.mark.slow
def test_batch_flow_deploys_and_runs(emulator: Any) -> None:
    import boto3

    result = _deploy(os.path.join(ROOT, "examples", "linear.py"), with_batch=True, stack_name="LinearOnBatch")
    described = _execute(boto3.client("stepfunctions"), result.flow.outputs["StateMachineArn"], "batch-1")
    assert described["status"] == "SUCCEEDED", described.get("cause")
    batch = boto3.client("batch")
    assert batch.describe_job_queues()["jobQueues"]


@pytest.mark.slow
def test_destroy_keeps_the_data(emulator: Any) -> None:
    import boto3

    from sfnflow.deploy import aws_session, destroy_flow

    result = _deploy(os.path.join(ROOT, "examples", "linear.py"))
    assert _execute(boto3.client("stepfunctions"), result.flow.outputs["StateMachineArn"], "r")["status"] == "SUCCEEDED"
    deleted, outputs = destroy_flow("LinearFlow", aws_session(), on_event=lambda line: None, poll=0.05)
    assert deleted.action == "deleted" and outputs["BucketName"]
    assert boto3.client("stepfunctions").list_state_machines()["stateMachines"] == []
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=outputs["BucketName"])["Contents"]]
    assert any(k.startswith("LinearFlow/r/") for k in keys)


@pytest.mark.slow
def test_destroy_of_a_batch_flow_says_deleted_not_refused(emulator: Any) -> None:
    from click.testing import CliRunner

    from sfnflow.cli import main

    _deploy(os.path.join(ROOT, "examples", "linear.py"), with_batch=True, stack_name="LinearBatchGone")
    done = CliRunner().invoke(main, ["destroy", os.path.join(ROOT, "examples", "linear.py"),
                                     "--stack-name", "LinearBatchGone", "--yes"])
    assert done.exit_code == 0, done.output
    assert "deleted stack LinearBatchGone" in done.output and "refused" not in done.output
