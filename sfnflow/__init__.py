"""sfnflow: Metaflow-style flows compiled to AWS Step Functions.

This package is the user's face: the DSL re-exported from sfn_compiler, the client API
(Flow, Run, Step, Task) and the CLI. It ships to Lambda/Batch with the flow, so nothing
heavy (click, boto3, aws_cdk, moto) is imported here at module level.
"""
from __future__ import annotations

import importlib
from typing import Any

from sfn_compiler.dsl import (
    Config,
    ConfigValue,
    FlowSpec,
    IncludeFile,
    JSONType,
    Parameter,
    aws_lambda,
    batch,
    card,
    catch,
    conda,
    conda_base,
    current,
    environment,
    config_expr,
    kubernetes,
    parallel,
    pypi,
    pypi_base,
    resources,
    retry,
    schedule,
    step,
    timeout,
    trigger,
    trigger_on_finish,
    s3_object_created,
)
from sfn_compiler.dsl import flowspec as _flowspec

__version__ = "0.1.0"

_CLIENT_NAMES = ("Flow", "Run", "Step", "Task", "DataArtifact", "Metaflow", "namespace", "get_namespace",
                 "default_namespace", "get_metadata", "metadata", "use_cloud", "set_root")


def _run_flow_class_cli(flow_cls: type) -> Any:
    """`MyFlow()` under `__main__`: hand `python flow.py <command> ...` to the CLI."""
    from .cli import main_for_flow_class

    return main_for_flow_class(flow_cls)


_flowspec.main_hook = _run_flow_class_cli


_LAZY_NAMES = {"Runner": "runner", "NBRunner": "nbrunner", "Deployer": "deployer", "S3": "s3"}  # loaded on first use


def _client_object(kind: str, pathspec: str) -> Any:
    """current.run / current.task: the client's Run or Task of the running step."""
    from . import client

    return getattr(client, kind)(pathspec)


# The module, not the `current` object that shadows its name in sfn_compiler.dsl.
importlib.import_module("sfn_compiler.dsl.current").client_factory = _client_object


def __getattr__(name: str) -> Any:
    # The client API imports the stores lazily: `from sfnflow import Flow` stays cheap
    # for step code that never reads past runs.
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    if name in _LAZY_NAMES:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY_NAMES[name]}", __name__), name)
    from .unsupported import not_supported

    not_supported(name)  # Metaflow names sfnflow does not have yet: one sentence, not a bare ImportError
    raise AttributeError(f"module 'sfnflow' has no attribute '{name}'")


__all__ = [
    "Config", "ConfigValue", "config_expr", "FlowSpec", "IncludeFile", "JSONType", "Parameter", "aws_lambda", "batch", "card", "catch", "conda", "conda_base",
    "current", "environment", "kubernetes", "parallel", "pypi", "pypi_base", "resources", "retry", "schedule", "step",
    "timeout", "trigger", "trigger_on_finish", "s3_object_created", *_CLIENT_NAMES, *_LAZY_NAMES,
]
