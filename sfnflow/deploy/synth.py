"""synth_flow: a flow file -> the CloudFormation templates and asset manifests (offline, no credentials)."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from . import synth_cache
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


def synth_flow(config: Any, outdir: str | None = None, compiled: Any = None, package: Any = None,
               use_cache: bool = True, on_progress: Any = None) -> SynthResult:
    """Compile, package and synthesize the datastore and flow stacks into `outdir` (a temp dir if None).

    An assembly synthesized before from exactly the same inputs is copied from the
    synth cache (sfnflow.deploy.synth_cache) instead: `extra["cached"]` says which.

    Raises:
        DeployError: the CDK is not installed, or the flow's code cannot be packaged.
        FlowDefinitionError: the flow has problems (every one listed).
    """
    import time

    require_cdk()
    from cdk.assembly import build_app

    from ..environments.batch_bundle import batch_bundles_for
    from ..environments.lambda_layer import lambda_layers_for
    from .package import build_code_package
    from .package_files import package_patterns

    start = time.perf_counter()
    outdir = outdir or tempfile.mkdtemp(prefix="sfnflow-cdk-")
    try:
        package = package or build_code_package(config.flow_file,
                                                package_patterns(config.flow_file, config.package_suffixes))
        if compiled is None:
            from sfn_compiler.compile import CompileOptions, compile_file

            options = CompileOptions(with_batch=config.with_batch, max_concurrency=config.max_concurrency)
            compiled = compile_file(config.flow_file, options) if config.flow_file else None
        # The step environments' Lambda layers: built (or found in the cache) before the synth
        # cache is asked, because the lock they come from is part of what the assembly holds.
        layers = lambda_layers_for(config.flow_file, compiled, package) if compiled is not None else {}
        bundles = batch_bundles_for(config.flow_file, compiled) if compiled is not None else {}
        if use_cache:
            cached = _from_cache(config, compiled, package, outdir, start, {**layers, **bundles})
            if cached is not None:
                return cached
        if on_progress is not None:
            on_progress("synthesizing with the AWS CDK (its start-up takes 30-45 s; an unchanged flow "
                        "is served from the synth cache next time)...")
        built = build_app(config, package, outdir=outdir, compiled=compiled, layers=layers, batch_bundles=bundles)
    except (ValueError, FileNotFoundError) as exc:
        raise DeployError(str(exc)) from None
    assembly = built.app.synth()
    if use_cache:
        synth_cache.store(synth_cache.synth_key(built.config, built.compiled, built.package,
                                                 {**layers, **bundles}), outdir)

    def artifact(stack: Any) -> StackArtifact:
        art = assembly.get_stack_artifact(stack.artifact_id)
        assets = os.path.join(outdir, f"{stack.artifact_id}.assets.json")
        return StackArtifact(art.stack_name, art.template_full_path, assets if os.path.exists(assets) else None)

    return SynthResult(outdir=outdir, datastore=artifact(built.datastore), flow=artifact(built.flow),
                       config=built.config, compiled=built.compiled, package=built.package,
                       seconds=time.perf_counter() - start)


def _from_cache(config: Any, compiled: Any, package: Any, outdir: str, start: float,
                layers: Any = None) -> SynthResult | None:
    """The cached assembly for these inputs, without importing the CDK; None on a miss."""
    import time

    from sfn_compiler.compile import CompileOptions, compile_file

    if not config.flow_file:
        return None  # build_app says what is missing
    compiled = compiled or compile_file(config.flow_file, CompileOptions(with_batch=config.with_batch))
    config = config.for_flow(compiled.model.flow_name)  # as build_app names the stacks
    key = synth_cache.synth_key(config, compiled, package, layers)
    if not synth_cache.restore(key, outdir):
        return None
    with open(os.path.join(outdir, "manifest.json"), encoding="utf-8") as fh:
        manifest = json.load(fh)
    stacks = {}
    for artifact_id, art in manifest.get("artifacts", {}).items():
        if art.get("type") == "aws:cloudformation:stack":
            props = art.get("properties", {})
            assets = os.path.join(outdir, f"{artifact_id}.assets.json")
            stacks[props.get("stackName", artifact_id)] = StackArtifact(
                props.get("stackName", artifact_id), os.path.join(outdir, props["templateFile"]),
                assets if os.path.exists(assets) else None)
    datastore = stacks.get(config.datastore_stack)
    flow = stacks.get(config.stack_name)
    if datastore is None or flow is None:
        return None
    return SynthResult(outdir=outdir, datastore=datastore, flow=flow, config=config, compiled=compiled,
                       package=package, seconds=time.perf_counter() - start, extra={"cached": True})
