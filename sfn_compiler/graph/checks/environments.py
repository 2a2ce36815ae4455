"""Checks of @pypi/@conda (and the *_base forms): a Python version sfnflow can run on, and
package names and versions PyPI can understand. Whether PyPI *has* them, and whether this
machine or AWS Lambda can give the Python asked for, is known only when the environment is
resolved (sfnflow/environments/), before anything runs."""
from __future__ import annotations

from typing import Iterator

from ...dsl.specs import PackagesSpec
from ...environments import MIN_PYTHON, name_problem, parse_python, version_problem
from ..model import FlowGraph
from .base import Analysis, Finding

_FLOOR = ".".join(map(str, MIN_PYTHON))


def _specs(graph: FlowGraph) -> Iterator[tuple[int, str | None, PackagesSpec]]:
    """(line, step or None for the flow, spec) for every packages decorator."""
    for spec in graph.flow_decorators:
        if isinstance(spec, PackagesSpec):
            yield graph.class_line, None, spec
    for node in graph:
        for spec in node.decorators:
            if isinstance(spec, PackagesSpec):
                yield node.source_line, node.name, spec


def _who(graph: FlowGraph, step: str | None, spec: PackagesSpec) -> str:
    head = spec.source.split("(", 1)[0]
    return f"{head}" if step else f"flow '{graph.name}': {head}"


def check_python_version(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for line, step, spec in _specs(graph):
        if spec.python is None or spec.disabled:
            continue
        version = parse_python(spec.python)
        if version is None:
            yield Finding(line, step, f"{_who(graph, step, spec)}(python={spec.python!r}) is not a Python version.",
                          "Write major.minor, e.g. python='3.12' (or major.minor.patch).")
        elif version[:2] < MIN_PYTHON:
            yield Finding(line, step,
                          f"{_who(graph, step, spec)} asks for Python {spec.python}, but sfnflow's runtime needs "
                          f"Python {_FLOOR} or newer.",
                          f"Ask for python='{_FLOOR}' or newer (pin the packages to versions that support it).")


def check_package_spec(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for line, step, spec in _specs(graph):
        if spec.disabled:
            continue
        for name, version in spec.packages:
            problem = name_problem(name)
            if problem is None:
                problem = version_problem(version)
                what = f"{name!r}: version {version!r} {problem}" if problem else None
            else:
                what = f"{name!r} {problem}"
            if what:
                yield Finding(line, step, f"{_who(graph, step, spec)} package {what}.",
                              "Give PyPI names with a version like '2.2.3' or a specifier like '>=2.0,<3'.")


CHECKS = (check_python_version, check_package_spec)
