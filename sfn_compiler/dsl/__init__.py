"""The flow DSL a Metaflow user already knows. Decorators only record frozen specs."""
from .current import current
from .decorators import (
    aws_lambda,
    batch,
    card,
    catch,
    conda,
    conda_base,
    environment,
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
)
from .configs import Config, ConfigValue, config_expr
from .flowspec import FlowSpec
from .includefile import IncludeFile
from .parameters import JSONType, Parameter
from .triggers import s3_object_created

__all__ = [
    "Config", "ConfigValue", "config_expr", "FlowSpec", "IncludeFile", "JSONType", "Parameter", "aws_lambda", "batch", "card", "catch", "conda", "conda_base",
    "current", "environment", "kubernetes", "parallel", "pypi", "pypi_base", "resources", "retry", "schedule", "step", "timeout",
    "trigger", "trigger_on_finish", "s3_object_created",
]
