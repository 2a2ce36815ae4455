"""The standard CDK CLI through cdk.json: `cdk synth` and `cdk deploy --require-approval never`
into an account that never ran `cdk bootstrap` (the emulator), then one run.

The CLI (`aws-cdk` in package.json, `npm install`) deploys with change sets by default.
moto's change-set path creates the stack but not its exports (shown below), so the flow
stack's Fn::ImportValue fails there; `--method=direct` (CreateStack/UpdateStack, what
`sfnflow deploy` does too) deploys the very same templates. Against AWS either method works.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CDK = os.path.join(ROOT, "node_modules", ".bin", "cdk")
LINEAR = os.path.join("examples", "linear.py")


def _cdk(*args: str, outdir: str) -> subprocess.CompletedProcess[str]:
    assert os.path.exists(CDK), "the aws-cdk CLI is a dev dependency (package.json): run `npm install`"
    env = {**os.environ, "CDK_DISABLE_VERSION_CHECK": "1", "CDK_DISABLE_CLI_TELEMETRY": "true"}
    return subprocess.run([CDK, *args, "--no-notices", "-o", outdir], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_cdk_synth_and_deploy_through_cdk_json_need_no_bootstrap(emulator: Any, tmp_path: Any) -> None:
    import boto3

    outdir = str(tmp_path / "cdk.out")
    synth = _cdk("synth", "-c", f"flow={LINEAR}", "--quiet", outdir=outdir)
    assert synth.returncode == 0, synth.stderr[-3000:]
    assert "feature flags are not configured" not in synth.stdout + synth.stderr
    # Deploy the assembly just synthesized (--app): the same templates, no second synth.
    deploy = _cdk("deploy", "--all", "--require-approval", "never", "--method=direct", "--app", outdir,
                  outdir=str(tmp_path / "unused.out"))
    assert deploy.returncode == 0, deploy.stderr[-3000:]
    assert "bootstrap" not in deploy.stderr.lower()  # no bootstrap stack, role or bucket was looked for
    cfn = boto3.client("cloudformation")
    assert {s["StackName"] for s in cfn.describe_stacks()["Stacks"]} == {"sfnflow-datastore", "LinearFlow"}
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="LinearFlow")["Stacks"][0]
               ["Outputs"]}
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=outputs["StateMachineArn"], name="cdk-run",
                              input=json.dumps({"parameters": {}}))["executionArn"]
    deadline = time.monotonic() + 120
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.2)
    described = sfn.describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=outputs["BucketName"])["Contents"]]
    assert outputs["CodeKey"] in keys  # the CLI published the package where the template points


@pytest.mark.slow
def test_the_emulators_change_sets_drop_exports(emulator: Any, tmp_path: Any) -> None:
    """Why the test above deploys with --method=direct: moto, not the template."""
    import boto3

    outdir = str(tmp_path / "cdk.out")
    assert _cdk("synth", "-c", f"flow={LINEAR}", "--quiet", outdir=outdir).returncode == 0
    deploy = _cdk("deploy", "sfnflow-datastore", "--require-approval", "never", "--app", outdir,
                  outdir=str(tmp_path / "unused.out"))
    assert deploy.returncode == 0, deploy.stderr[-3000:]
    cfn = boto3.client("cloudformation")
    assert cfn.describe_stacks(StackName="sfnflow-datastore")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert cfn.list_exports()["Exports"] == []  # the template exports two names; moto's change set made none
