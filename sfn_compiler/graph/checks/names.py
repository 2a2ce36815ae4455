"""Checks of names: the flow and step names AWS must accept, and parameter, step and
`@catch(var=...)` names that must not shadow each other or FlowSpec's own attributes."""
from __future__ import annotations

import re
from typing import Iterator

from ...dsl.flowspec import RESERVED_NAMES, FlowSpec
from ..model import FlowGraph
from .base import Analysis, Finding

# Step Functions accepts state machine names of 1-80 characters and forbids whitespace,
# brackets, wildcards and most punctuation; non-ASCII names break CloudWatch metrics.
# The flow name also prefixes resources with a 64-character limit (Lambda functions,
# IAM roles, EventBridge rules), and sfnflow appends suffixes of up to 15 characters
# ("-<step or env>", "-schedule"), so flow names stop at 48.
FLOW_NAME_MAX = 48
# ASL state names may be 80 characters; the compiler derives helper states from a
# step's name (e.g. "<step>.map", "<step>.catch"), so step names stop at 64.
STEP_NAME_MAX = 64
_AWS_NAME = re.compile(r"[A-Za-z0-9_]+")
_FLOWSPEC_ATTRIBUTES = frozenset(n for n in dir(FlowSpec) if not n.startswith("_"))
_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


def check_flow_name(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    name = graph.name
    if not _AWS_NAME.fullmatch(name):
        yield Finding(graph.class_line, None,
                      f"flow name '{name}' has characters Step Functions state machine names cannot use.",
                      "Rename the class using only ASCII letters, digits and underscores.")
    elif len(name) > FLOW_NAME_MAX:
        yield Finding(graph.class_line, None,
                      f"flow name '{name}' is {len(name)} characters long; sfnflow allows {FLOW_NAME_MAX} "
                      "(AWS resource names derived from it have a 64-character limit).",
                      f"Rename the class to at most {FLOW_NAME_MAX} characters.")


def check_step_name(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        name = node.name
        if name in RESERVED_NAMES:
            what = "is a name FlowSpec reserves for itself"
        elif not _AWS_NAME.fullmatch(name):
            what = "has characters Step Functions state names cannot use (ASCII letters, digits, _ only)"
        elif len(name) > STEP_NAME_MAX:
            what = f"is {len(name)} characters long; step names become state names, limited to {STEP_NAME_MAX}"
        else:
            continue
        yield Finding(node.source_line, name, f"the step name {what}.", "Rename the step.")


def check_parameter_name(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for param in graph.parameters:
        line = param.source_line or graph.class_line
        where = f"parameter '{param.name}'"
        attribute = param.attribute or param.name
        for name in dict.fromkeys((param.name, attribute)):
            if name in analysis.nodes:
                yield Finding(line, None, f"{where} has the same name as step '{name}'.",
                              "Rename the parameter or the step.")
        # Steps read a parameter as `self.<attribute>`, so only the attribute can shadow
        # FlowSpec's own members; `Parameter("name")` held in `name_` is fine.
        if attribute in RESERVED_NAMES:
            yield Finding(line, None, f"{where} is read as `self.{attribute}`, a name FlowSpec reserves for itself.",
                          f"Rename the class attribute `{attribute}`.")
        if not _PARAMETER_NAME.fullmatch(param.name):
            yield Finding(line, None, f"{where} cannot be a command-line option name.",
                          "Use only letters, digits, '_' and '-' in the parameter name.")


def check_duplicate_parameter(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for param in graph.parameters:
        line = param.source_line or graph.class_line
        if param.name in first:
            yield Finding(line, None, f"parameter '{param.name}' is declared twice (first at line {first[param.name]}).",
                          "Give each Parameter its own name.")
        else:
            first[param.name] = line


def check_catch_var(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    parameters = {p.attribute or p.name for p in graph.parameters} | {p.name for p in graph.parameters}
    for node in graph:
        for spec in node.decorators:
            var = getattr(spec, "var", None) if spec.kind == "catch" else None
            if var is None:
                continue
            if not isinstance(var, str) or not var.isidentifier():
                what = "is not a valid artifact name"
            elif var in analysis.nodes:
                what = f"is the name of step '{var}'"
            elif var in parameters:
                what = f"is the name of parameter '{var}'"
            elif var in RESERVED_NAMES:
                what = "is a name FlowSpec reserves for itself"
            else:
                continue
            yield Finding(node.source_line, node.name, f"`@catch(var={var!r})` {what}.",
                          "Choose another artifact name for the caught exception, e.g. var=\"error\".")


def check_artifact_name(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    # Steps and FlowSpec's own attributes live on the class, so `self.<name>` would read
    # them back instead of the artifact in every later step.
    # Assigning a parameter is a run-time AttributeError, as in Metaflow (flows may catch it
    # on purpose): graph/warnings.py points it out instead.
    steps = {node.name for node in graph}
    for node in graph:
        for name, line in node.artifact_writes:
            if name in steps:
                what = f"'{name}' is a step"
            elif name in _FLOWSPEC_ATTRIBUTES:
                what = f"'{name}' is FlowSpec's own attribute"
            else:
                continue
            yield Finding(line, node.name, f"sets self.{name}, but {what}.",
                          f"Store the value under another name, e.g. self.{name}_value.")


CHECKS = (check_artifact_name, check_flow_name, check_step_name, check_parameter_name, check_duplicate_parameter, check_catch_var)
