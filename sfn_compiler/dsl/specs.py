"""Frozen records that decorators attach to steps and flows.

Decorators only record; the graph builder collects these into the IR and the
compiler, runtime and CDK read them from there.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RetrySpec:
    times: int = 3
    minutes_between_retries: float = 2.0
    kind = "retry"


@dataclass(frozen=True)
class CatchSpec:
    var: str | None = None
    print_exception: bool = True
    kind = "catch"


@dataclass(frozen=True)
class TimeoutSpec:
    seconds: int = 0
    kind = "timeout"


@dataclass(frozen=True)
class ResourcesSpec:
    cpu: float | None = None
    memory: int | None = None
    gpu: int | None = None
    disk: int | None = None  # MB of scratch disk (@kubernetes' disk=)
    source: str = ""  # as written, when another decorator asked for these resources (@kubernetes)
    kind = "resources"


@dataclass(frozen=True)
class BatchSpec:
    cpu: float | None = None
    memory: int | None = None
    gpu: int | None = None
    image: str | None = None
    queue: str | None = None
    kind = "batch"


@dataclass(frozen=True)
class LambdaSpec:
    memory: int | None = None
    timeout: int | None = None
    architecture: str = "x86_64"
    kind = "aws_lambda"


@dataclass(frozen=True)
class EnvironmentSpec:
    vars: tuple[tuple[str, str], ...] = ()
    kind = "environment"


@dataclass(frozen=True)
class PackagesSpec:
    """@pypi / @conda (and their flow-level *_base forms): a Python version and packages.

    Both managers mean the same here: packages come from PyPI (sfn_compiler/environments.py
    merges a step's spec over its flow's; sfnflow/environments/ resolves and builds them).
    """

    manager: str = "pypi"  # pypi | conda: which decorator family the user wrote
    packages: tuple[tuple[str, str], ...] = ()  # (name as written, version spec as written)
    python: str | None = None
    disabled: bool | None = None  # None: not given (a step then follows its flow's)
    source: str = ""  # the decorator as the user wrote it, for `show` and messages
    kind = "packages"


@dataclass(frozen=True)
class CardSpec:
    """@card: the step's components (current.card) are kept with its task and shown by
    `sfnflow report` and `sfnflow card get`. type: 'default' (components and the task's
    artifacts), 'blank' (components only) or 'html' (the step's `html` artifact)."""

    type: str = "default"
    id: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    timeout: int = 45
    kind = "card"


@dataclass(frozen=True)
class ScheduleSpec:
    expression: str = ""  # an EventBridge expression: cron(...) or rate(...)
    source: str = ""  # what the user wrote, for messages
    kind = "schedule"


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type: str  # str | int | float | bool | json
    default: Any = None
    has_default: bool = False
    default_is_callable: bool = False
    required: bool = False
    help: str | None = None
    attribute: str = ""  # the class attribute the flow reads it from
    source_line: int = 0
    separator: str | None = None  # `separator=","`: the value is split into a list (of `type` items)
    # IncludeFile: the value given is a path; the file's content is the artifact
    include: bool = False
    is_text: bool = True
    encoding: str = "utf-8"


@dataclass(frozen=True)
class ParallelSpec:
    """@parallel: the step runs as `num_parallel` tasks that know each other (current.parallel)."""

    kind = "parallel"


DecoratorSpec = (
    RetrySpec | CatchSpec | TimeoutSpec | ResourcesSpec | BatchSpec | LambdaSpec | EnvironmentSpec
    | PackagesSpec | CardSpec | ParallelSpec
)
FlowDecoratorSpec = ScheduleSpec | PackagesSpec
