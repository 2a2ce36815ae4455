"""Step environments in `sfnflow synth` / `deploy`: the refusals reach the user as one sentence
before anything is synthesized, and the template holds a layer and the environment's
runtime per Lambda function, and the environment's bundle and stock image per Batch job."""
from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfnflow.cli import main

FLOW = '''
import platform
from sfnflow import FlowSpec, batch, pypi, pypi_base, step


@pypi_base(python="3.12", packages={"idna": "3.7"})
class DeployEnvsFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.crunch)

    @batch(cpu=1, memory=2048)
    @pypi(python="3.11")
    @step
    def crunch(self):
        self.next(self.end)

    @step
    def end(self):
        pass
'''


def write(folder: Path, source: str) -> Path:
    path = folder / f"deploy_envs_{uuid.uuid4().hex[:8]}.py"
    path.write_text(textwrap.dedent(source).lstrip())
    return path


def test_synth_refuses_a_python_lambda_does_not_offer_in_one_sentence(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFNFLOW_ROOT", str(tmp_path / "store"))
    path = write(tmp_path, FLOW.replace('@pypi_base(python="3.12"', '@pypi_base(python="3.15"'))
    result = CliRunner().invoke(main, ["synth", str(path), "-o", str(tmp_path / "t.json")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: steps 'start' and 'end' (@pypi_base(python='3.15', packages={'idna': '3.7'})) asks for "
                      "Python 3.15 on AWS Lambda, which offers 3.10, 3.11, 3.12, 3.13, 3.14; ask for one of those, "
                      "or run the steps on AWS Batch with @batch."]


@pytest.mark.slow
def test_the_template_gives_each_environment_its_runtime_layer_bundle_and_image(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from cdk.config import DeployConfig
    from sfnflow.deploy import synth_flow

    monkeypatch.setenv("SFNFLOW_ROOT", str(tmp_path / "store"))
    # What cdk.assembly.silence_node_banner sets, set here so the test leaves no trace.
    for name, value in {"JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
                        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,19,20,21",
                        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1"}.items():
        monkeypatch.setenv(name, value)
    result = synth_flow(DeployConfig(flow_file=str(write(tmp_path, FLOW))), outdir=str(tmp_path / "out"),
                        use_cache=False)
    resources = result.flow.template()["Resources"]
    functions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    layers = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::LayerVersion"]
    jobs = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Batch::JobDefinition"]
    assert [f["Runtime"] for f in functions] == ["python3.12"] and len(functions[0]["Layers"]) == 1
    assert [layer["CompatibleRuntimes"] for layer in layers] == [["python3.12"]]
    (job,) = jobs
    container = job["ContainerProperties"]
    variables = {v["Name"]: v["Value"] for v in container["Environment"]}
    assert "/python:3.11-slim@sha256:" in container["Image"]
    assets = result.flow.assets_path and open(result.flow.assets_path).read()
    assert variables["SFNFLOW_DEPS_KEY"].startswith("code/") and variables["SFNFLOW_DEPS_KEY"].split("/")[1][:64] in assets
    assert len(variables["SFNFLOW_DEPS_SHA256"]) == 64 and variables["SFNFLOW_ENVIRONMENT"]
