"""The CDK stack, the emulation and the local engine all fill placeholders through
sfn_compiler.contract.placeholders, each from its own resources.

Each deployer is handed a compiled flow whose model names a placeholder of a kind no
deployer knows (what a compiler change would produce) and must refuse it with the
filler's own UnfilledPlaceholderError, naming it: a deployer with a filler of its own
would fill it by guessing, or fail differently. Each also fills the real placeholders
of the same flow, which shows the refusal is about that one placeholder.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from sfn_compiler.asl.arns import Placeholder
from sfn_compiler.compile import CompiledFlow, compile_file
from sfn_compiler.contract.placeholders import UnfilledPlaceholderError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "linear.py"
FUTURE = Placeholder("Future_widget", "future_widget_arn", "widget", "a resource kind from a newer compiler")


@pytest.fixture(scope="module")
def compiled() -> CompiledFlow:
    return compile_file(str(EXAMPLE))


@pytest.fixture(scope="module")
def from_the_future(compiled: CompiledFlow) -> CompiledFlow:
    asl = {**compiled.asl, "Comment": FUTURE.token}
    model = dataclasses.replace(compiled.model, placeholders=compiled.model.placeholders + (FUTURE,))
    return dataclasses.replace(compiled, asl=asl, model=model)


def _refused(exc: pytest.ExceptionInfo[UnfilledPlaceholderError]) -> None:
    assert exc.value.names == [FUTURE.name]
    assert "${Future_widget} (future_widget_arn 'widget')" in str(exc.value)


def test_the_cdk_stack(compiled: CompiledFlow, from_the_future: CompiledFlow, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    from cdk.assembly import build_app
    from cdk.config import DeployConfig
    from sfnflow.deploy.package import build_code_package

    # What cdk.assembly.silence_node_banner sets, set here so the test leaves no trace.
    for name, value in {"JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
                        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,19,20,21",
                        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1"}.items():
        monkeypatch.setenv(name, value)
    import aws_cdk as cdk

    package = build_code_package(str(EXAMPLE))
    config = DeployConfig(flow_file=str(EXAMPLE))
    with pytest.raises(UnfilledPlaceholderError) as exc:
        build_app(config, package, app=cdk.App(outdir=str(tmp_path / "future")), compiled=from_the_future)
    _refused(exc)
    built = build_app(config, package, app=cdk.App(outdir=str(tmp_path / "now")), compiled=compiled)
    template = cdk.assertions.Template.from_stack(built.flow).to_json()
    machine = next(r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    assert set(machine["Properties"]["DefinitionSubstitutions"]) == {p.name for p in compiled.model.placeholders}


def test_the_emulation(compiled: CompiledFlow, from_the_future: CompiledFlow) -> None:
    from sfnflow.emulate.harness import MotoCloud

    with MotoCloud() as cloud:
        with pytest.raises(UnfilledPlaceholderError) as exc:
            cloud.deploy(str(EXAMPLE), from_the_future)
        _refused(exc)
        deployed = cloud.deploy(str(EXAMPLE), compiled)
        definition = cloud.client("stepfunctions").describe_state_machine(
            stateMachineArn=deployed.state_machine_arn)["definition"]
    assert "${" not in definition and deployed.functions["default"] in definition


def test_the_local_engine(compiled: CompiledFlow, from_the_future: CompiledFlow) -> None:
    from runtime.engine.local import LocalEngine

    with LocalEngine("json:dumps", max_workers=1) as engine:  # no task runs: the executor is never called
        with pytest.raises(UnfilledPlaceholderError) as exc:
            engine.run(from_the_future, run_id="future")
        _refused(exc)
        definition = json.loads(engine.fill_placeholders(compiled.asl, compiled.model))
        routed = engine.resource_names(compiled.model).functions["default"]
    assert "${" not in json.dumps(definition)
    assert definition["States"]["start"]["Parameters"]["FunctionName"] == routed
