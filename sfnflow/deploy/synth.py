"""synth_flow: a flow file -> the CloudFormation templates and asset manifests (offline, no credentials)."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from .errors import DeployError, require_cdk

__all__ = ["StackArtifact", "SynthResult", "synth_flow"]


@dataclass(frozen=True)
class StackArtifact:
    name: str
    template_path: str
    assets_path: str | None

    def template(self) -> dict[str, Any]:
        with open(self.template_path, encoding="utf-8") as fh:
            return dict(json.load(fh))

    def template_text(self) -> str:
        with open(self.template_path, encoding="utf-8") as fh:
            return fh.read()


@dataclass
class SynthResult:
    outdir: str
    datastore: StackArtifact
    flow: StackArtifact
    config: Any  # cdk.config.DeployConfig, with the stack name filled in
    compiled: Any  # CompiledFlow
    package: Any  # CodePackage
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def synth_flow(config: Any, outdir: str | None = None, compiled: Any = None, package: Any = None) -> SynthResult:
    """Compile, package and synthesize the datastore and flow stacks into `outdir` (a temp dir if None).

    Raises:
        DeployError: the CDK is not installed, or the flow's code cannot be packaged.
        FlowDefinitionError: the flow has problems (every one listed).
    """
    import time

    require_cdk()
    from cdk.assembly import build_app

    from .package import build_code_package

    start = time.perf_counter()
    outdir = outdir or tempfile.mkdtemp(prefix="sfnflow-cdk-")
    try:
        package = package or build_code_package(config.flow_file)
        built = build_app(config, package, outdir=outdir, compiled=compiled)
    except (ValueError, FileNotFoundError) as exc:
        raise DeployError(str(exc)) from None
    assembly = built.app.synth()

    def artifact(stack: Any) -> StackArtifact:
        art = assembly.get_stack_artifact(stack.artifact_id)
        assets = os.path.join(outdir, f"{stack.artifact_id}.assets.json")
        return StackArtifact(art.stack_name, art.template_full_path, assets if os.path.exists(assets) else None)

    return SynthResult(outdir=outdir, datastore=artifact(built.datastore), flow=artifact(built.flow),
                       config=built.config, compiled=built.compiled, package=built.package,
                       seconds=time.perf_counter() - start)
