"""Entry point for the standard CDK CLI (cdk.json at the repository root runs it).

    npx aws-cdk synth -c flow=examples/linear.py
    npx aws-cdk deploy -c flow=examples/linear.py --all      # datastore first, then the flow
    npx aws-cdk deploy -c flow=examples/train.py -c with=batch -c vpc_id=vpc-1 -c subnet_ids=subnet-a,subnet-b

Reads CDK context only (see cdk/config.py for every key). An entry point like the CLI:
it builds the flow's code package with sfnflow's deploy helper and hands it to the
constructs, which import only sfn_compiler.
"""
from __future__ import annotations

import os
import sys

# `cdk` runs this file as a script: make the repository root importable.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from cdk.assembly import build_app, silence_node_banner  # noqa: E402
from cdk.config import config_from_context  # noqa: E402
from sfnflow.deploy.package import build_code_package  # noqa: E402
from sfnflow.deploy.package_files import package_patterns  # noqa: E402
from sfnflow.environments.batch_bundle import batch_bundles_for  # noqa: E402
from sfnflow.environments.lambda_layer import lambda_layers_for  # noqa: E402


def main() -> None:
    silence_node_banner()
    import aws_cdk as cdk

    app = cdk.App()
    config = config_from_context(app.node.try_get_context)
    if not config.flow_file:
        sys.exit("cdk/app.py: say which flow to deploy: cdk synth -c flow=examples/linear.py")
    from sfn_compiler.compile import CompileOptions, compile_file

    compiled = compile_file(config.flow_file, CompileOptions(with_batch=config.with_batch,
                                                             max_concurrency=config.max_concurrency))
    package = build_code_package(config.flow_file, package_patterns(config.flow_file, config.package_suffixes))
    build_app(config, package, app=app, compiled=compiled, layers=lambda_layers_for(config.flow_file, compiled, package),
              batch_bundles=batch_bundles_for(config.flow_file, compiled))
    app.synth()


if __name__ == "__main__":
    main()
