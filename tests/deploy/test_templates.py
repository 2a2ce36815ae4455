"""The synthesized stacks: what each example's template holds (aws_cdk.assertions), cfn-lint and cdk-nag."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

Synthesized = Any  # conftest.Synthesized
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEMS = sorted(os.path.splitext(n)[0] for n in os.listdir(os.path.join(_ROOT, "examples")) if n.endswith(".py"))


def _template(synthesized: Synthesized, stem: str) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_json(synthesized.template(stem))


def _no_custom_resources(template: dict[str, Any]) -> None:
    types = {r["Type"] for r in template["Resources"].values()}
    assert not {t for t in types if t.startswith("Custom::") or t == "AWS::CloudFormation::CustomResource"}
    assert "AWS::Lambda::Function" not in types or all(
        r["Properties"].get("Handler") == "runtime.lambda_handler.handler"
        for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")


@pytest.mark.parametrize("stem", STEMS)
def test_each_example_has_its_functions_state_machine_and_outputs(synthesized: Synthesized, stem: str) -> None:
    from aws_cdk.assertions import Match

    stack = synthesized.stacks[stem]
    model = stack.compiled.model
    template = _template(synthesized, stem)
    template.resource_count_is("AWS::Lambda::Function", len(model.functions))
    template.has_resource_properties("AWS::StepFunctions::StateMachine", {
        "StateMachineName": stack.config.stack_name,
        "StateMachineType": "STANDARD",
        "TracingConfiguration": {"Enabled": True},
        # ERROR without execution data by default (parameters and causes stay out of the logs)
        "LoggingConfiguration": Match.object_like({"Level": "ERROR", "IncludeExecutionData": False}),
        # every placeholder of the compiled ASL is substituted, and nothing else
        "DefinitionSubstitutions": Match.object_equals(
            {p.name: Match.any_value() for p in model.placeholders}),
    })
    raw = synthesized.template(stem)
    machine = next(r for r in raw["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    assert json.loads(machine["Properties"]["DefinitionString"]) == stack.compiled.asl
    for output in ("StateMachineArn", "BucketName", "TableName", "ConsoleUrl"):
        template.has_output(output, {})
    template.resource_count_is("AWS::Events::Rule", len(model.schedules))
    template.resource_count_is("AWS::Batch::JobDefinition", len(model.job_definitions))
    _no_custom_resources(raw)


def test_lambda_settings_follow_the_model_and_this_python(synthesized: Synthesized) -> None:
    stack = synthesized.stacks["mixed_compute"]
    template = _template(synthesized, "mixed_compute")
    python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for spec in stack.compiled.model.functions:
        template.has_resource_properties("AWS::Lambda::Function", {
            "Runtime": python, "MemorySize": spec.memory_mb, "Timeout": spec.timeout_s,
            "Handler": "runtime.lambda_handler.handler",
            "Code": {"S3Bucket": {"Fn::Sub": "sfnflow-datastore-${AWS::AccountId}-${AWS::Region}"},
                     "S3Key": f"code/{stack.code_key.split('/')[-1]}"},
            "Environment": {"Variables": {
                "SFNFLOW_BUCKET": {"Fn::ImportValue": "sfnflow-datastore-BucketName"},
                "SFNFLOW_TABLE": {"Fn::ImportValue": "sfnflow-datastore-TableName"},
                "SFNFLOW_FLOW_FILE": "mixed_compute.py"}},
        })


def test_code_key_is_the_package_content_address(synthesized: Synthesized) -> None:
    from sfnflow.deploy.package import code_key

    stack = synthesized.stacks["linear"]
    assert stack.code_key == code_key(stack.package.sha256)
    with open(os.path.join(synthesized.outdir, f"{stack.artifact_id}.assets.json")) as fh:
        files = json.load(fh)["files"]
    keys = [d["objectKey"] for f in files.values() for d in f["destinations"].values()]
    assert stack.code_key in keys


def test_schedule_targets_the_state_machine_with_the_defaults(synthesized: Synthesized) -> None:
    from aws_cdk.assertions import Match

    template = _template(synthesized, "train")
    expected = {"parameters": {"alpha": 0.1}, "sfnflow": {"trigger": "schedule"}}
    template.has_resource_properties("AWS::Events::Rule", {
        "ScheduleExpression": "cron(0 3 * * ? *)",
        "Targets": [Match.object_like({"Input": json.dumps(expected, separators=(",", ":"))})],
    })


def test_the_stack_serves_the_parameter_spec_and_tasks_read_the_deployed_datastore(
        synthesized: Synthesized) -> None:
    from aws_cdk.assertions import Match

    from sfn_compiler.run_contract import decode_parameter_specs

    outputs = synthesized.template("parameters")["Outputs"]
    specs = {s.name: s for s in decode_parameter_specs(outputs["ParameterSpec"]["Value"])}
    assert specs["count"].type == "int" and specs["count"].default == 2
    assert specs["greeting"].default_is_callable and specs["who"].help == "who to greet"
    _template(synthesized, "parameters").has_resource_properties("AWS::Lambda::Function", {
        "Environment": {"Variables": Match.object_like({"SFNFLOW_DATASTORE": "s3"})}})


def test_gpu_steps_get_an_ec2_queue_and_cpu_steps_fargate(synthesized: Synthesized) -> None:
    from aws_cdk.assertions import Match

    train = _template(synthesized, "train")
    train.has_resource_properties("AWS::Batch::ComputeEnvironment", {
        "Type": "managed", "ComputeResources": Match.object_like({"Type": "EC2", "MinvCpus": 0})})
    train.has_resource_properties("AWS::Batch::JobDefinition", {"ContainerProperties": Match.object_like({
        "ResourceRequirements": Match.array_with([{"Type": "GPU", "Value": "1"}])})})
    mixed = _template(synthesized, "mixed_compute")
    # 12000 MiB fits Fargate at 2 vCPU / 12288 MiB, so the cpu queue stays on Fargate
    mixed.has_resource_properties("AWS::Batch::ComputeEnvironment", {
        "ComputeResources": Match.object_like({"Type": "FARGATE"})})
    mixed.resource_count_is("AWS::EC2::NatGateway", 0)
    mixed.has_resource_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": True})


def test_default_batch_image_is_a_public_stock_python_of_this_minor(synthesized: Synthesized) -> None:
    """No Docker Hub login, the deployer's Python minor (cloud pickles load on the laptop), pinned by digest."""
    from cdk.pins import DEFAULT_BATCH_IMAGES

    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    expected = DEFAULT_BATCH_IMAGES[minor]
    assert expected.startswith(f"public.ecr.aws/docker/library/python:{minor}-slim@sha256:")
    for stem in ("train", "mixed_compute"):
        jobs = [r for r in synthesized.template(stem)["Resources"].values()
                if r["Type"] == "AWS::Batch::JobDefinition"]
        assert jobs and {j["Properties"]["ContainerProperties"]["Image"] for j in jobs} == {expected}


def test_fargate_sizes() -> None:
    from cdk.batch import fargate_size

    assert fargate_size(1, 4096) == (1.0, 4096)
    assert fargate_size(1, 12000) == (2.0, 12288)
    assert fargate_size(4, 16384) == (4.0, 16384)
    assert fargate_size(32, 1024) is None


def test_state_machine_role_is_least_privilege(synthesized: Synthesized) -> None:
    template = synthesized.template("foreach")
    machine_role = next(k for k, r in template["Resources"].items()
                        if r["Type"] == "AWS::IAM::Role" and k.startswith("StateMachineRole"))
    policy = next(r for r in template["Resources"].values()
                  if r["Type"] == "AWS::IAM::Policy" and r["Properties"]["Roles"] == [{"Ref": machine_role}])
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    actions = [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert "lambda:InvokeFunction" in actions
    assert "states:StartExecution" in actions  # the Distributed Map starts its children
    assert "dynamodb:UpdateItem" in actions  # the run-status writes
    star = {a for s in statements if s["Resource"] == "*"
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    # only actions without resource-level permissions get "*"
    assert star <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                    "xray:GetSamplingTargets", "logs:CreateLogDelivery", "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}, star


def test_datastore_is_retained_encrypted_and_on_demand(synthesized: Synthesized) -> None:
    from aws_cdk.assertions import Template

    from sfn_compiler.contract.table_layout import table_definition

    template = Template.from_stack(synthesized.datastore)
    template.has_resource("AWS::S3::Bucket", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    template.has_resource_properties("AWS::S3::Bucket", {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True}})
    template.resource_count_is("AWS::S3::BucketPolicy", 1)  # enforce_ssl
    spec = table_definition("x")
    template.has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Retain"})
    template.has_resource_properties("AWS::DynamoDB::Table", {
        "BillingMode": "PAY_PER_REQUEST",
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "KeySchema": spec["KeySchema"],
        "GlobalSecondaryIndexes": [{**spec["GlobalSecondaryIndexes"][0]}],
    })
    template.has_output("BucketName", {"Export": {"Name": "sfnflow-datastore-BucketName"}})
    template.has_output("TableName", {"Export": {"Name": "sfnflow-datastore-TableName"}})


def test_cdk_nag_aws_solutions_has_no_unacknowledged_finding(synthesized: Synthesized) -> None:
    assert synthesized.nag_error is None, str(synthesized.nag_error)[:4000]


def test_every_acknowledgement_gives_a_reason(synthesized: Synthesized) -> None:
    import aws_cdk as cdk

    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    reasons = []
    for construct in synthesized.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                reasons += list(entry.data.values())
    assert reasons
    assert all(isinstance(r, str) and len(r) > 40 for r in reasons), reasons


def test_cdk_nag_does_catch_a_bare_bucket(tmp_path: Any) -> None:
    """The nag check is live: an unacknowledged finding fails synth."""
    from cdk.assembly import silence_node_banner

    silence_node_banner()
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3
    from cdk_nag import AwsSolutionsChecks

    app = cdk.App(outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    s3.Bucket(cdk.Stack(app, "Bare"), "B")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_cfn_lint_finds_no_errors(synthesized: Synthesized) -> None:
    paths = [synthesized.template_path(stem) for stem in STEMS]
    paths.append(os.path.join(synthesized.outdir, "sfnflow-datastore.template.json"))
    done = subprocess.run([sys.executable, "-m", "cfnlint", "--ignore-checks", "W3005", "--format", "parseable",
                           *paths], capture_output=True, text=True)
    assert done.returncode & 2 == 0, done.stdout + done.stderr  # bit 2: errors (4 = warnings, 8 = info)
