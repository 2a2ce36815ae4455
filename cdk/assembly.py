"""Build the CDK app for one flow: compile it, add both stacks around its code package.

The one function the CDK CLI entry point (cdk/app.py), `sfnflow synth/deploy` and the
tests share, so all three synthesize the same templates. The code package is built by
the caller (sfnflow.deploy.package): packaging is deploy-time code, not a construct.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .config import DeployConfig

__all__ = ["FlowApp", "build_app", "silence_node_banner"]


def silence_node_banner() -> None:
    """jsii prints a boxed warning on every start when node is past end-of-life; it is noise here."""
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,19,20,21")
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


@dataclass
class FlowApp:
    app: Any  # aws_cdk.App
    datastore: Any  # DatastoreStack
    flow: Any  # FlowStack
    compiled: Any  # CompiledFlow
    package: Any  # CodePackage
    config: DeployConfig


def build_app(config: DeployConfig, package: Any, app: Any = None, compiled: Any = None,
              outdir: str | None = None) -> FlowApp:
    """The datastore stack and the flow's stack in one CDK app (not yet synthesized).

    `package` is the flow's built code package (a `CodeBundle`, see flow_stack.py);
    `compiled` is compiled from `config.flow_file` when not given.

    The flow stack depends on the datastore stack, so `cdk deploy <flow stack>` deploys the
    datastore first when it is missing (and its exports exist before they are imported).
    """
    silence_node_banner()
    import aws_cdk as cdk

    from sfn_compiler.compile import CompileOptions, compile_file

    from .config import CODE_PREFIX
    from .datastore_stack import DatastoreStack
    from .flow_stack import FlowStack

    if not config.flow_file:
        raise ValueError("no flow file: pass -c flow=path/to/flow.py (cdk) or FLOW_FILE (sfnflow)")
    compiled = compiled or compile_file(config.flow_file, CompileOptions(with_batch=config.with_batch))
    config = config.for_flow(compiled.model.flow_name)
    if app is None:
        app = cdk.App(outdir=outdir) if outdir else cdk.App()
    # No assets in the datastore stack, so no asset bucket and no `cdk bootstrap` either.
    datastore = app.node.try_find_child(config.datastore_stack)  # several flows may share one app
    if datastore is None:
        datastore = DatastoreStack(app, config, synthesizer=cdk.BootstraplessSynthesizer())
    # Assets go straight to the datastore bucket with the deployer's own credentials: no
    # `cdk bootstrap` stack, and the key is the package's content address (code/<sha>.zip).
    synthesizer = _bound_synthesizer(cdk)(file_assets_bucket_name=config.bucket_name, bucket_prefix=CODE_PREFIX)
    flow = FlowStack(app, compiled, package, config, synthesizer=synthesizer)
    flow.add_stack_dependency(datastore, "imports the datastore's bucket and table exports")
    return FlowApp(app=app, datastore=datastore, flow=flow, compiled=compiled, package=package, config=config)


def _bound_synthesizer(cdk: Any) -> Any:
    """CliCredentialsStackSynthesizer that binds itself instead of a clone.

    The stock one is "reusable": each stack gets a clone made with Object.create, which
    jsii maps back to the unbound original, so `stack.synthesizer.add_file_asset(...)`
    from Python fails with StackSynthesizerBoundStackFirst. One instance per stack,
    bound in place, avoids that.
    """

    class BoundCliCredentialsSynthesizer(cdk.CliCredentialsStackSynthesizer):  # type: ignore[misc]
        def reusable_bind(self, stack: Any) -> Any:
            self.bind(stack)
            return self

    return BoundCliCredentialsSynthesizer
