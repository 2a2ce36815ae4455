"""Step environments on Lambda, under moto (sfnflow.emulate's MotoCloud): one function per
environment with that environment's Python as its runtime, its locked packages in a
content-addressed layer installed for Lambda's platform (manylinux wheels, no Docker), an
execution that runs on them, and the refusals: a Python Lambda lacks, an environment over
Lambda's 250 MB."""
from __future__ import annotations

import io
import textwrap
import uuid
import zipfile
from pathlib import Path

import pytest

from sfn_compiler.compile import compile_file
from sfnflow.environments.lambda_layer import EnvironmentNotDeployable, build_lambda_layers
from sfnflow.environments.progress import EnvironmentProgress

FLOW = '''
import platform
from sfnflow import FlowSpec, pypi, pypi_base, step


def ran():
    import idna
    return {"python": platform.python_version(), "idna": idna.__version__}


# idna, not six: Lambda's runtime itself brings boto3's dependencies (six among them), so a
# missing layer would go unnoticed with six.
@pypi_base(python="3.12", packages={"idna": "3.7"})
class LambdaEnvsFlow(FlowSpec):
    @step
    def start(self):
        self.ran = ran()
        self.next(self.old)

    @pypi(python="3.11", packages={"idna": "3.10"})
    @step
    def old(self):
        self.ran = ran()
        self.next(self.end)

    @step
    def end(self):
        self.ran = ran()
'''


def write(folder: Path, source: str) -> Path:
    path = folder / f"lambda_envs_{uuid.uuid4().hex[:8]}.py"
    path.write_text(textwrap.dedent(source).lstrip())
    return path


def test_deploy_creates_a_function_per_environment_and_the_execution_uses_them(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from sfnflow.emulate.harness import MotoCloud

    for name in ("SFNFLOW_DATASTORE", "SFNFLOW_BUCKET", "SFNFLOW_TABLE", "SFNFLOW_PREFIX", "SFNFLOW_ROOT"):
        monkeypatch.delenv(name, raising=False)
    path = write(tmp_path, FLOW)
    compiled = compile_file(str(path))
    with MotoCloud() as cloud:
        deployed = cloud.deploy(str(path), compiled, env_root=str(tmp_path / "store"))
        lam = cloud.client("lambda")
        config = {key: lam.get_function(FunctionName=arn)["Configuration"] for key, arn in deployed.functions.items()}
        assert set(config) == {"py312_1", "py311_2"}
        assert (config["py312_1"]["Runtime"], config["py311_2"]["Runtime"]) == ("python3.12", "python3.11")
        for key, idna in (("py312_1", "3.7"), ("py311_2", "3.10")):
            (layer,) = config[key]["Layers"]
            files = zipfile.ZipFile(io.BytesIO(Path(cloud.layers[key].zip_path).read_bytes())).namelist()
            assert "python/idna/core.py" in files and f"python/idna-{idna}.dist-info/METADATA" in files
            assert layer["Arn"].split(":")[6] == f"sfnflow-env-{cloud.layers[key].hash}"  # content-addressed
        result = cloud.run(deployed, "lambda-envs-1")
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        store = cloud.artifact_store()

        def ran(step: str) -> dict[str, str]:
            index = store.get_index("LambdaEnvsFlow", "lambda-envs-1", step, "0")
            return store.load("LambdaEnvsFlow", index.artifacts["ran"], "ran")

        assert ran("start")["python"].startswith("3.12.") and ran("start")["idna"] == "3.7"
        assert ran("old")["python"].startswith("3.11.") and ran("old")["idna"] == "3.10"
        assert ran("end") == ran("start")


def test_an_environment_over_lambdas_size_is_refused_naming_the_steps(tmp_path: Path) -> None:
    compiled = compile_file(str(write(tmp_path, FLOW)))
    with pytest.raises(EnvironmentNotDeployable) as caught:
        # The cap lowered to a few KB: the same check that refuses torch at 250 MB refuses idna here.
        build_lambda_layers(compiled.model, str(tmp_path / "store"), limit_bytes=20_000,
                            progress=EnvironmentProgress(io.StringIO()))
    message = str(caught.value)
    assert message.startswith("step 'old' (@pypi_base(python='3.12', packages={'idna': '3.7'}) + "
                              "@pypi(python='3.11', packages={'idna': '3.10'})): its packages take 0.")
    assert "MB unzipped (idna " in message
    assert "more than the 0.0 MB AWS Lambda leaves beside the code (250 MB in all)" in message
    assert "run these steps on AWS Batch with @batch, or trim the packages." in message


def test_a_python_lambda_does_not_offer_is_refused(tmp_path: Path) -> None:
    compiled = compile_file(str(write(tmp_path, FLOW.replace('python="3.12"', 'python="3.15"'))))
    with pytest.raises(EnvironmentNotDeployable, match=r"asks for Python 3.15 on AWS Lambda, which offers 3.10, 3.11"):
        build_lambda_layers(compiled.model, str(tmp_path / "store"))


@pytest.mark.slow
def test_sfnflow_deploy_to_the_emulator_creates_layers_and_runs_on_them(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The `sfnflow deploy` path: CDK synth (a LayerVersion per environment, runtime per
    function) -> moto CloudFormation -> an execution whose tasks run on those runtimes."""
    import json
    import time

    import boto3

    from cdk.config import DeployConfig
    from runtime.stores.artifacts import ArtifactStore
    from runtime.stores.s3 import S3BlobStore
    from sfnflow.deploy import aws_session, deploy_flow
    from sfnflow.emulate.emulator import Emulator

    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                        "SFNFLOW_ROOT": str(tmp_path / "store"),
                        # what cdk.assembly.silence_node_banner sets, set here so the test leaves no trace
                        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
                        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,19,20,21",
                        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    path = write(tmp_path, FLOW)
    with Emulator() as emu:
        monkeypatch.setenv("AWS_ENDPOINT_URL", emu.endpoint)
        result = deploy_flow(DeployConfig(flow_file=str(path)), aws_session(), on_event=lambda line: None, poll=0.05)
        template = result.synth.flow.template()["Resources"]
        runtimes = sorted(r["Properties"]["Runtime"] for r in template.values() if r["Type"] == "AWS::Lambda::Function")
        assert runtimes == ["python3.11", "python3.12"]
        assert sum(r["Type"] == "AWS::Lambda::LayerVersion" for r in template.values()) == 2
        sfn = boto3.client("stepfunctions")
        started = sfn.start_execution(stateMachineArn=result.flow.outputs["StateMachineArn"], name="cfn-envs-1",
                                      input=json.dumps({"parameters": {}}))
        deadline = time.time() + 180
        while (described := sfn.describe_execution(executionArn=started["executionArn"]))["status"] == "RUNNING":
            assert time.time() < deadline, "execution still running"
            time.sleep(0.2)
        assert described["status"] == "SUCCEEDED", described.get("cause")
        # A warm container's output reaches CloudWatch (one stream per container, as on Lambda), so
        # `sfnflow logs` finds the task between its markers.
        logs = boto3.client("logs")
        lines = [e["message"] for g in logs.describe_log_groups()["logGroups"]
                 for st in logs.describe_log_streams(logGroupName=g["logGroupName"])["logStreams"]
                 for e in logs.get_log_events(logGroupName=g["logGroupName"], logStreamName=st["logStreamName"],
                                              startFromHead=True)["events"]]
        assert "[sfnflow] task LambdaEnvsFlow/cfn-envs-1/old/0 attempt 0 begins" in lines
        store = ArtifactStore(S3BlobStore(result.datastore.outputs["BucketName"], "", client=boto3.client("s3")))
        ran = {}
        for step in ("start", "old"):
            index = store.get_index("LambdaEnvsFlow", "cfn-envs-1", step, "0")
            ran[step] = store.load("LambdaEnvsFlow", index.artifacts["ran"], "ran")
    assert ran["start"]["python"].startswith("3.12.") and ran["start"]["idna"] == "3.7"
    assert ran["old"]["python"].startswith("3.11.") and ran["old"]["idna"] == "3.10"


def test_an_environment_with_packages_only_runs_on_the_deploying_interpreters_runtime(tmp_path: Path) -> None:
    import sys

    from sfnflow.environments.lambda_layer import lambda_python_problems, runtime_python

    compiled = compile_file(str(write(tmp_path, FLOW.replace('@pypi_base(python="3.12", ', '@pypi_base(')
                                      .replace('@pypi(python="3.11", ', '@pypi('))))
    assert lambda_python_problems(compiled.model) == []
    functions = [f for f in compiled.model.functions if f.python_env]
    assert len(functions) == 2  # idna 3.7 for the flow, 3.10 for `old`: two environments, one Python
    assert {runtime_python(f) for f in functions} == {f"{sys.version_info[0]}.{sys.version_info[1]}"}
