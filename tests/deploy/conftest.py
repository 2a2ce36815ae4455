"""Deploy-test fixtures: every example flow synthesized once per session (one CDK app, ~5-8 s),
and a patched moto server (the emulator) for deploying to.

The CDK libraries are part of the `test` extra: without them these tests fail, they are not skipped.
"""
from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

from cdk.assembly import silence_node_banner  # noqa: E402  (before aws_cdk starts node)

silence_node_banner()

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))
REGION = "us-east-1"


@dataclass
class Synthesized:
    outdir: str
    app: Any
    stacks: dict[str, Any]  # example file stem -> FlowStack
    datastore: Any
    nag_error: Exception | None

    def template_path(self, stem: str) -> str:
        return os.path.join(self.outdir, f"{self.stacks[stem].artifact_id}.template.json")

    def template(self, stem: str) -> dict[str, Any]:
        with open(self.template_path(stem), encoding="utf-8") as fh:
            return dict(json.load(fh))


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """All examples in one app, with cdk-nag's AwsSolutions pack attached (one synth for all)."""
    from cdk.assembly import build_app, new_app
    from cdk.config import DeployConfig
    from sfn_compiler.compile import compile_file
    from sfnflow.deploy.package import build_code_package
    from sfnflow.environments.batch_bundle import batch_bundles_for
    from sfnflow.environments.lambda_layer import lambda_layers_for

    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    outdir = str(tmp_path_factory.mktemp("cdk.out"))
    app = new_app(outdir)  # with the feature flags cdk.json gives the CLI
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stacks = {}
    datastore = None
    for path in EXAMPLES:
        compiled, package = compile_file(path), build_code_package(path)
        # A flow with step environments gets its layers (examples/environments.py: pandas for Lambda).
        locks = str(tmp_path_factory.mktemp("env-locks"))
        built = build_app(DeployConfig(flow_file=path), package, app=app, compiled=compiled,
                          layers=lambda_layers_for(path, compiled, package, root=locks),
                          batch_bundles=batch_bundles_for(path, compiled, root=locks))
        stacks[os.path.splitext(os.path.basename(path))[0]] = built.flow
        datastore = built.datastore
    nag_error = None
    try:
        app.synth()  # writes the assembly even when validation fails
    except RuntimeError as exc:
        nag_error = exc
    return Synthesized(outdir, app, stacks, datastore, nag_error)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A patched moto server on 127.0.0.1 and clients' environment pointing at it."""
    from sfnflow.emulate.emulator import Emulator

    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": REGION,
                        "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    with Emulator() as emu:
        monkeypatch.setenv("AWS_ENDPOINT_URL", emu.endpoint)
        yield emu
