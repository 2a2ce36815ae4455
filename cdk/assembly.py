"""Build the CDK app for one flow: compile it, add both stacks around its code package.

The one function the CDK CLI entry point (cdk/app.py), `sfnflow synth/deploy` and the
tests share, so all three synthesize the same templates. The code package is built by
the caller (sfnflow.deploy.package): packaging is deploy-time code, not a construct.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from .config import DeployConfig

__all__ = ["FEATURE_FLAGS", "FlowApp", "build_app", "new_app", "silence_node_banner"]

# The CDK's recommended feature flags (aws-cdk-lib's recommended-feature-flags.json),
# the same set cdk.json gives the CLI, so `sfnflow synth` and `cdk synth` build the same
# templates (tests/deploy/test_real_account_rules.py checks they agree).
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "feature_flags.json"), encoding="utf-8") as _fh:
    FEATURE_FLAGS: dict[str, Any] = json.load(_fh)


def new_app(outdir: str | None = None) -> Any:
    """A CDK app with sfnflow's feature flags, as `cdk` builds one from cdk.json."""
    silence_node_banner()
    import aws_cdk as cdk

    return cdk.App(outdir=outdir, context=dict(FEATURE_FLAGS)) if outdir else cdk.App(context=dict(FEATURE_FLAGS))


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
              outdir: str | None = None, layers: Any = None, batch_bundles: Any = None) -> FlowApp:
    """The datastore stack and the flow's stack in one CDK app (not yet synthesized).

    `package` is the flow's built code package (a `CodeBundle`, see flow_stack.py);
    `compiled` is compiled from `config.flow_file` when not given; `layers` (function key
    -> `LayerBundle`) and `batch_bundles` (job key -> `EnvironmentBundle`) are the step
    environments' packages, built by sfnflow's deploy helpers.

    The flow stack depends on the datastore stack, so `cdk deploy <flow stack>` deploys the
    datastore first when it is missing (and its exports exist before they are imported).
    """
    from sfn_compiler.compile import CompileOptions, compile_file

    from .config import CODE_PREFIX
    from .datastore_stack import DatastoreStack
    from .flow_stack import FlowStack
    from .synthesizers import bound_cli_credentials_synthesizer, no_bootstrap_synthesizer

    if not config.flow_file:
        raise ValueError("no flow file: pass -c flow=path/to/flow.py (cdk) or FLOW_FILE (sfnflow)")
    compiled = compiled or compile_file(config.flow_file, CompileOptions(with_batch=config.with_batch,
                                                                        max_concurrency=config.max_concurrency))
    config = config.for_flow(compiled.model.flow_name)
    if app is None:
        app = new_app(outdir)
    # No `cdk bootstrap` anywhere (cdk/synthesizers.py): the datastore stack names no role
    # and no asset bucket, so the CLI deploys it with the caller's own credentials.
    datastore = app.node.try_find_child(config.datastore_stack)  # several flows may share one app
    if datastore is None:
        datastore = DatastoreStack(app, config, synthesizer=no_bootstrap_synthesizer())
    # Assets go straight to the datastore bucket with the deployer's own credentials: no
    # `cdk bootstrap` stack, and the key is the package's content address (code/<sha>.zip).
    synthesizer = bound_cli_credentials_synthesizer(file_assets_bucket_name=config.bucket_name,
                                                    bucket_prefix=CODE_PREFIX)
    flow = FlowStack(app, compiled, package, config, layers=layers, batch_bundles=batch_bundles,
                     synthesizer=synthesizer)
    flow.add_stack_dependency(datastore, "imports the datastore's bucket and table exports")
    return FlowApp(app=app, datastore=datastore, flow=flow, compiled=compiled, package=package, config=config)
