"""`sfnflow deploy --plan` against the emulator changes nothing; superseded code packages are tagged.

The plan asks CloudFormation for a change set only to read it. moto cannot make change
sets for stacks that import exports (what the flow stack does), so there the plan says it
fell back to comparing the templates; the decisions themselves are tested without any
CloudFormation in tests/unit/test_deploy_plan.py.
"""
from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
from click.testing import CliRunner

from sfnflow.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _state(flow_name: str) -> dict[str, Any]:
    import boto3

    cfn, lam, s3 = boto3.client("cloudformation"), boto3.client("lambda"), boto3.client("s3")
    stacks = {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]}
    functions = {f["FunctionName"]: f["CodeSha256"] for f in lam.list_functions()["Functions"]}
    keys = []
    for bucket in s3.list_buckets()["Buckets"]:
        keys += [o["Key"] for o in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])]
    change_sets = cfn.list_change_sets(StackName=flow_name)["Summaries"] if flow_name in stacks else []
    return {"stacks": stacks, "functions": functions, "keys": sorted(keys), "change_sets": change_sets}


def _tags(bucket: str, key: str) -> dict[str, str]:
    import boto3

    return {t["Key"]: t["Value"] for t in boto3.client("s3").get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


@pytest.mark.slow
def test_plan_shows_a_first_deploy_and_creates_nothing(emulator: Any) -> None:
    linear = os.path.join(ROOT, "examples", "linear.py")
    before = _state("LinearFlow")
    result = CliRunner().invoke(main, ["deploy", linear, "--plan"])
    assert result.exit_code == 0, result.output
    assert "plan (nothing was changed" in result.output
    assert "stack sfnflow-datastore: create" in result.output and "stack LinearFlow: create" in result.output
    assert "+ StateMachine" in result.output and "AWS::StepFunctions::StateMachine" in result.output
    assert _state("LinearFlow") == before  # no stack, no bucket, no object


@pytest.mark.slow
def test_plan_of_a_code_change_names_it_and_changes_nothing(emulator: Any, tmp_path: Any) -> None:
    flow = tmp_path / "linear.py"
    shutil.copy(os.path.join(ROOT, "examples", "linear.py"), flow)
    assert CliRunner().invoke(main, ["deploy", str(flow)]).exit_code == 0
    flow.write_text(flow.read_text().replace("sum(self.squares)", "sum(self.squares) + 1"))
    before = _state("LinearFlow")
    result = CliRunner().invoke(main, ["deploy", str(flow), "--plan"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  stack sfnflow-datastore: unchanged" in lines and "  stack LinearFlow: update" in lines
    assert any(line.split()[:1] == ["~"] and "AWS::Lambda::Function" in line and "(Code)" in line for line in lines)
    assert any(line.startswith("  upload s3://") and "LinearFlow code package" in line for line in lines)
    assert any("then tag code/" in line and "superseded" in line for line in lines)
    assert _state("LinearFlow") == before  # same functions, no new object, no change set left over


@pytest.mark.slow
def test_code_a_flow_stops_using_is_tagged_superseded_and_untagged_when_reused(emulator: Any, tmp_path: Any) -> None:
    from cdk.config import DeployConfig
    from sfnflow.deploy import aws_session, deploy_flow, destroy_flow

    flow = tmp_path / "linear.py"
    shutil.copy(os.path.join(ROOT, "examples", "linear.py"), flow)
    original = flow.read_text()
    target = aws_session()

    def deploy() -> Any:
        return deploy_flow(DeployConfig(flow_file=str(flow)), target, on_event=lambda line: None, poll=0.05)

    first = deploy()
    bucket, old_key = first.flow.outputs["BucketName"], first.flow.outputs["CodeKey"]
    flow.write_text(original.replace("sum(self.squares)", "sum(self.squares) + 1"))
    second = deploy()
    assert second.superseded == old_key != second.flow.outputs["CodeKey"]
    assert _tags(bucket, old_key) == {"sfnflow-code": "superseded"}
    assert _tags(bucket, second.flow.outputs["CodeKey"]) == {}

    flow.write_text(original)  # a rollback: the old package is in use again
    third = deploy()
    assert third.flow.outputs["CodeKey"] == old_key and _tags(bucket, old_key) == {}
    assert _tags(bucket, second.flow.outputs["CodeKey"]) == {"sfnflow-code": "superseded"}

    destroy_flow(third.flow.name, target, on_event=lambda line: None, poll=0.05)
    assert _tags(bucket, old_key) == {"sfnflow-code": "superseded"}
