"""The synthesized templates against the rules a real account enforces and moto does not (issue 14).

One test per rule, on every example (the session's one synthesized app) or on a few
deploy configurations synthesized once for this module; no account needed. Each names
the AWS rule it stands for.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Iterator

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEMS = sorted(n[:-3] for n in os.listdir(os.path.join(ROOT, "examples")) if n.endswith(".py"))
BATCH_STEMS = ("mixed_compute", "train")
VPC, SUBNETS = "vpc-0123456789abcdef0", ("subnet-0123456789abcdef0", "subnet-0fedcba9876543210")
Synthesized = Any


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def _statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    """Every policy statement attached to the role(s) whose logical id starts with `role_prefix`."""
    roles = {k for k in _resources(template, "AWS::IAM::Role") if k.startswith(role_prefix)}
    assert roles, role_prefix
    found = []
    for policy in _resources(template, "AWS::IAM::Policy").values():
        if {r.get("Ref") for r in policy["Properties"]["Roles"]} & roles:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _object_patterns(statement: dict[str, Any]) -> list[str]:
    """The key patterns of S3 object ARNs in a statement (`<Flow>/*`, `*`, ...)."""
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    out = []
    for res in resources:
        text = json.dumps(res)
        if "arn:" in text and ":s3:::" in text:
            parts = res["Fn::Join"][1] if isinstance(res, dict) else [res]
            out.append(str(parts[-1]).lstrip("/") if isinstance(parts[-1], str) else "?")
    return out


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """A few deploy configurations of one flow, in one app (one synth for the module)."""
    from cdk.assembly import build_app, new_app
    from cdk.config import DeployConfig
    from sfnflow.deploy.package import build_code_package

    outdir = str(tmp_path_factory.mktemp("variants"))
    app = new_app(outdir)
    train = os.path.join(ROOT, "examples", "train.py")
    linear = os.path.join(ROOT, "examples", "linear.py")
    configs = {
        "vpc": DeployConfig(flow_file=linear, with_batch=True, stack_name="LinearInVpc", vpc_id=VPC,
                            subnet_ids=SUBNETS, log_level="ALL", log_execution_data=True),
        "private": DeployConfig(flow_file=linear, with_batch=True, stack_name="LinearPrivate", vpc_id=VPC,
                                subnet_ids=SUBNETS[:1], batch_public_ip=False, batch_runnable_minutes=15),
        "wide": DeployConfig(flow_file=train, stack_name="TrainNarrow", max_concurrency=40),
    }
    built = {name: build_app(config, build_code_package(config.flow_file), app=app) for name, config in configs.items()}
    app.synth()
    out = {}
    for name, b in built.items():
        with open(os.path.join(outdir, f"{b.flow.artifact_id}.template.json"), encoding="utf-8") as fh:
            out[name] = {"template": json.load(fh), "stack": b.flow}
    yield out


# -- no bootstrap ------------------------------------------------------------------------------
def test_no_stack_names_a_bootstrap_role_bucket_or_version(synthesized: Synthesized) -> None:
    """CloudFormation refuses a RoleARN that does not exist: nothing may point at `cdk bootstrap`'s."""
    with open(os.path.join(synthesized.outdir, "manifest.json"), encoding="utf-8") as fh:
        manifest = json.load(fh)
    stacks = {k: a for k, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"}
    assert "sfnflow-datastore" in stacks and len(stacks) == len(STEMS) + 1
    for name, artifact in stacks.items():
        props = artifact.get("properties", {})
        assert not {"assumeRoleArn", "cloudFormationExecutionRoleArn", "lookupRole",
                    "requiresBootstrapStackVersion"} & set(props), (name, props)
    everything = json.dumps(manifest)
    for name in os.listdir(synthesized.outdir):
        if name.endswith((".assets.json", ".template.json")):
            with open(os.path.join(synthesized.outdir, name), encoding="utf-8") as fh:
                everything += fh.read()
    assert "hnb659fds" not in everything and "BootstrapVersion" not in everything
    # the datastore (created first, before any bucket exists) has no asset at all, not even its template
    assert "stackTemplateAssetObjectUrl" not in stacks["sfnflow-datastore"]["properties"]
    assert not os.path.exists(os.path.join(synthesized.outdir, "sfnflow-datastore.assets.json"))


def test_feature_flags_are_the_recommended_ones_everywhere() -> None:
    """`cdk synth` warns about every recommended flag left unset; cdk.json and sfnflow's app set them all."""
    import tarfile

    import aws_cdk

    from cdk.assembly import FEATURE_FLAGS

    jsii_dir = os.path.join(os.path.dirname(aws_cdk.__file__), "_jsii")
    bundle = next(os.path.join(jsii_dir, n) for n in os.listdir(jsii_dir) if n.endswith(".tgz"))
    with tarfile.open(bundle) as tar:
        recommended = json.load(tar.extractfile("package/recommended-feature-flags.json"))  # type: ignore[arg-type]
    with open(os.path.join(ROOT, "cdk.json"), encoding="utf-8") as fh:
        cdk_json = json.load(fh)
    assert cdk_json["context"] == FEATURE_FLAGS == recommended


# -- Batch that runs -----------------------------------------------------------------------------
def test_fargate_jobs_get_a_public_ip_in_your_vpc_unless_you_say_private(variants: dict[str, Any]) -> None:
    """Fargate in a public subnet reaches S3/ECR only with a public IP (Batch: NetworkConfiguration)."""
    for name, expected in (("vpc", "ENABLED"), ("private", "DISABLED")):
        jobs = _resources(variants[name]["template"], "AWS::Batch::JobDefinition").values()
        assert jobs and {j["Properties"]["ContainerProperties"]["NetworkConfiguration"]["AssignPublicIp"]
                         for j in jobs} == {expected}, name


@pytest.mark.parametrize("stem", BATCH_STEMS)
def test_every_batch_image_is_pinned_by_digest(synthesized: Synthesized, stem: str) -> None:
    """A tag can move between two tasks of one run; a digest cannot."""
    jobs = _resources(synthesized.template(stem), "AWS::Batch::JobDefinition").values()
    assert jobs and all("@sha256:" in j["Properties"]["ContainerProperties"]["Image"] for j in jobs)


def test_a_python_without_a_pinned_image_is_refused_clearly() -> None:
    from cdk.config import DeployConfig

    config = DeployConfig()
    object.__setattr__(config, "python_version", "3.99")  # past the Lambda check: the image alone
    with pytest.raises(ValueError, match=r"no stock Batch image is pinned for Python 3\.99: set batch_image"):
        config.image
    assert DeployConfig(batch_image="my/image@sha256:" + "0" * 64).image.startswith("my/image@")


@pytest.mark.parametrize("stem", BATCH_STEMS)
def test_stock_image_jobs_install_nothing_and_carry_their_bootstrap(synthesized: Synthesized, stem: str) -> None:
    """No pip at task start: the job definition carries the bootstrap and names a pinned boto3 bundle."""
    from sfnflow.deploy.batch_support import bootstrap_source, build_batch_support

    stack = synthesized.stacks[stem]
    template = synthesized.template(stem)
    machine = next(iter(_resources(template, "AWS::StepFunctions::StateMachine").values()))
    assert "pip" not in machine["Properties"]["DefinitionString"]
    support = build_batch_support()
    for job in _resources(template, "AWS::Batch::JobDefinition").values():
        env = {e["Name"]: e["Value"] for e in job["Properties"]["ContainerProperties"]["Environment"]}
        assert env["SFNFLOW_BOOTSTRAP"] == bootstrap_source()
        assert (env["SFNFLOW_DEPS_KEY"], env["SFNFLOW_DEPS_SHA256"]) == (f"code/{support.sha256}.zip", support.sha256)
    with open(os.path.join(synthesized.outdir, f"{stack.artifact_id}.assets.json"), encoding="utf-8") as fh:
        keys = {d["objectKey"] for a in json.load(fh)["files"].values() for d in a["destinations"].values()}
    assert f"code/{support.sha256}.zip" in keys  # published with the code package, by CDK or sfnflow


def test_gpu_job_memory_fits_the_instance_it_asks_for(synthesized: Synthesized) -> None:
    """ECS keeps part of an instance's memory: 16 GiB on a g4dn.xlarge would land on a g4dn.2xlarge."""
    from sfn_compiler.batch_sizes import GPU_INSTANCES, ec2_usable_mb

    xlarge = next(i for i in GPU_INSTANCES if i.name == "g4dn.xlarge")
    job = next(iter(_resources(synthesized.template("train"), "AWS::Batch::JobDefinition").values()))
    needs = {r["Type"]: int(r["Value"]) for r in job["Properties"]["ContainerProperties"]["ResourceRequirements"]}
    assert needs["GPU"] == 1 and needs["VCPU"] == 4
    assert needs["MEMORY"] <= ec2_usable_mb(xlarge) < xlarge.memory_mb
    assert any("g4dn.xlarge" in note for note in synthesized.stacks["train"].notes)


# -- bounded work --------------------------------------------------------------------------------
@pytest.mark.parametrize("stem", BATCH_STEMS)
def test_every_job_definition_and_queue_is_bounded(synthesized: Synthesized, stem: str) -> None:
    """attemptDurationSeconds on each job (>= 60 s); RUNNABLE-stuck jobs cancelled by the queue."""
    template = synthesized.template(stem)
    for job in _resources(template, "AWS::Batch::JobDefinition").values():
        assert job["Properties"]["Timeout"]["AttemptDurationSeconds"] >= 60
    queues = _resources(template, "AWS::Batch::JobQueue").values()
    assert queues
    for queue in queues:
        actions = queue["Properties"]["JobStateTimeLimitActions"]
        assert {a["State"] for a in actions} == {"RUNNABLE"} and {a["Action"] for a in actions} == {"CANCEL"}
        assert all(600 <= a["MaxTimeSeconds"] <= 86400 for a in actions)
        assert "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY" in {a["Reason"] for a in actions}


def test_runnable_limit_and_map_concurrency_are_configurable(variants: dict[str, Any]) -> None:
    queue = next(iter(_resources(variants["private"]["template"], "AWS::Batch::JobQueue").values()))
    assert {a["MaxTimeSeconds"] for a in queue["Properties"]["JobStateTimeLimitActions"]} == {15 * 60}
    machine = next(iter(_resources(variants["wide"]["template"], "AWS::StepFunctions::StateMachine").values()))
    assert '"MaxConcurrency":40' in machine["Properties"]["DefinitionString"]


# -- permissions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("stem", ["foreach", "train"])
def test_distributed_map_grants_match_awss_documented_policy(synthesized: Synthesized, stem: str) -> None:
    """ResultWriter needs s3:GetObject too; redriving a failed Map Run needs states:RedriveExecution."""
    statements = _statements(synthesized.template(stem), "StateMachineRole")
    writer = [s for s in statements if "s3:PutObject" in _actions(s)]
    assert writer and all("s3:GetObject" in _actions(s) for s in writer)
    flow = synthesized.stacks[stem].compiled.model.flow_name
    assert {p for s in writer for p in _object_patterns(s)} == {f"_map_results/{flow}/*"}
    redrive = [s for s in statements if "states:RedriveExecution" in _actions(s)]
    assert len(redrive) == 1
    assert redrive[0]["Resource"]["Fn::Join"][1][-1] == f":execution:{flow}/*:*"  # children of its Map Runs


@pytest.mark.parametrize("stem", STEMS)
def test_task_roles_write_only_their_flows_prefix(synthesized: Synthesized, stem: str) -> None:
    """No task can replace another flow's artifacts or any code package (code/ is the deployer's)."""
    template = synthesized.template(stem)
    flow = synthesized.stacks[stem].compiled.model.flow_name
    prefixes = ["FunctionRole"] + (["BatchJobRole"] if _resources(template, "AWS::Batch::JobDefinition") else [])
    for prefix in prefixes:
        statements = _statements(template, prefix)
        writes = [p for s in statements if {"s3:PutObject", "s3:*"} & set(_actions(s)) for p in _object_patterns(s)]
        assert writes == [f"{flow}/*"], (prefix, writes)
        ddb_writes = [s for s in statements if "dynamodb:PutItem" in _actions(s)]
        assert ddb_writes and all(s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
                                  == [f"RUN#{flow}#*", "FLOWS"] for s in ddb_writes)


def test_lambda_runtime_is_checked_against_what_lambda_offers() -> None:
    from aws_cdk import aws_lambda as lambda_

    from cdk.config import DeployConfig
    from cdk.pins import LAMBDA_PYTHON_RUNTIMES

    for minor in LAMBDA_PYTHON_RUNTIMES:  # every one we allow is one the CDK knows
        assert getattr(lambda_.Runtime, f"PYTHON_{minor.replace('.', '_')}").name == f"python{minor}"
    with pytest.raises(ValueError, match=r"AWS Lambda has no python3\.8 runtime that takes new functions"):
        DeployConfig(python_version="3.8")


def test_tasks_are_told_who_owns_the_bucket(synthesized: Synthesized) -> None:
    """The bucket name is predictable: every S3 call names the owner (ExpectedBucketOwner)."""
    template = synthesized.template("mixed_compute")
    for fn in _resources(template, "AWS::Lambda::Function").values():
        assert fn["Properties"]["Environment"]["Variables"]["SFNFLOW_BUCKET_OWNER"] == {"Ref": "AWS::AccountId"}
    for job in _resources(template, "AWS::Batch::JobDefinition").values():
        env = {e["Name"]: e["Value"] for e in job["Properties"]["ContainerProperties"]["Environment"]}
        assert env["SFNFLOW_BUCKET_OWNER"] == {"Ref": "AWS::AccountId"}


# -- security ------------------------------------------------------------------------------------
def test_batch_jobs_are_given_the_sha256_of_their_code(synthesized: Synthesized) -> None:
    stack = synthesized.stacks["train"]
    for job in _resources(synthesized.template("train"), "AWS::Batch::JobDefinition").values():
        env = {e["Name"]: e["Value"] for e in job["Properties"]["ContainerProperties"]["Environment"]}
        assert env["SFNFLOW_CODE_SHA256"] == stack.package.sha256
        assert env["SFNFLOW_CODE_KEY"].endswith(f"{stack.package.sha256}.zip")


def test_state_machine_logging_is_error_only_unless_the_flow_asks(synthesized: Synthesized,
                                                                   variants: dict[str, Any]) -> None:
    """Parameters and error causes stay out of CloudWatch Logs by default."""
    for template, level, data in ((synthesized.template("linear"), "ERROR", False),
                                  (variants["vpc"]["template"], "ALL", True)):
        machine = next(iter(_resources(template, "AWS::StepFunctions::StateMachine").values()))
        logging = machine["Properties"]["LoggingConfiguration"]
        assert (logging["Level"], logging["IncludeExecutionData"]) == (level, data)


# -- logs and cost hygiene -----------------------------------------------------------------------
@pytest.mark.parametrize("stem", STEMS)
def test_log_groups_are_vended_retained_and_deleted_with_the_stack(synthesized: Synthesized, stem: str) -> None:
    """/aws/vendedlogs/ keeps the account's 5,120-character Logs resource policy from filling up."""
    template = synthesized.template(stem)
    groups = _resources(template, "AWS::Logs::LogGroup")
    machine = next(k for k in groups if k.startswith("StateMachineLogs"))
    name = synthesized.stacks[stem].config.stack_name
    assert groups[machine]["Properties"]["LogGroupName"] == f"/aws/vendedlogs/states/sfnflow-{name}"
    for key, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == 30, key
        assert group["DeletionPolicy"] == "Delete", key  # no orphan group per destroy/redeploy
    for job in _resources(template, "AWS::Batch::JobDefinition").values():
        options = job["Properties"]["ContainerProperties"]["LogConfiguration"]["Options"]
        assert options["awslogs-group"]["Ref"] in groups  # the flow's own group, not /aws/batch/job


def test_the_bucket_expires_scratch_and_superseded_code(synthesized: Synthesized) -> None:
    with open(os.path.join(synthesized.outdir, "sfnflow-datastore.template.json"), encoding="utf-8") as fh:
        template = json.load(fh)
    bucket = next(iter(_resources(template, "AWS::S3::Bucket").values()))
    rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["map-results"]["Prefix"] == "_map_results/" and rules["map-results"]["ExpirationInDays"] == 7
    assert rules["deploy-templates"]["Prefix"] == "templates/"
    code = rules["superseded-code"]
    assert code["Prefix"] == "code/" and code["TagFilters"] == [{"Key": "sfnflow-code", "Value": "superseded"}]
    assert code["ExpirationInDays"] == 30
    assert rules["abandoned-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert all(r["Status"] == "Enabled" for r in rules.values())


def test_python_minor_of_the_deployer_is_the_runtime(synthesized: Synthesized) -> None:
    fn = next(iter(_resources(synthesized.template("linear"), "AWS::Lambda::Function").values()))
    assert fn["Properties"]["Runtime"] == f"python{sys.version_info.major}.{sys.version_info.minor}"
