"""Which Python and packages each step asks for: @pypi/@conda merged over @pypi_base/@conda_base.

The one rule shared by validation, compilation, `show`, local runs and deploys. Pure:
resolving the request into exact versions (a lock) and building it is I/O and lives in
sfnflow/environments/.

Merging, as Metaflow does: a step's packages extend its flow's and override them by
(normalised) name; a step's python overrides the flow's; `disabled` given on the step
wins, else the flow's counts. A disabled or absent spec means the step runs in the
default environment (the interpreter that runs or deploys sfnflow). Versions are
PyPI version specifiers; a bare version ("2.2.3") means exactly that version.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .dsl.specs import PackagesSpec
from .graph.model import FlowGraph, StepNode

__all__ = [
    "MIN_PYTHON", "EnvironmentRequest", "normalise_name", "parse_python", "requirement", "step_environment",
    "step_environments",
]

# sfnflow's own floor: its runtime evaluates `X | Y` type unions at import (Python 3.10+).
MIN_PYTHON = (3, 10)

_NAME = re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])(\[[A-Za-z0-9._,-]+\])?$")
_PYTHON = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")
_SPECIFIER = re.compile(r"^\s*(===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*$")


def normalise_name(name: str) -> str:
    """PEP 503: `Scikit_Learn` and `scikit-learn` are one package."""
    base = name.split("[", 1)[0]
    return re.sub(r"[-_.]+", "-", base).lower()


def parse_python(text: str) -> tuple[int, ...] | None:
    """"3.12" -> (3, 12); "3.11.7" -> (3, 11, 7); anything else -> None."""
    match = _PYTHON.match(str(text).strip())
    if match is None:
        return None
    return tuple(int(g) for g in match.groups() if g is not None)


def version_problem(spec: str) -> str | None:
    """Why a version spec is not one PyPI understands, or None ("" means any version)."""
    spec = spec.strip()
    if not spec:
        return None
    if spec[0].isdigit():
        return None if re.fullmatch(r"[0-9][A-Za-z0-9.*+!_-]*", spec) else "is not a version"
    parts = spec.split(",")
    bad = [p.strip() for p in parts if not _SPECIFIER.match(p)]
    if bad and len(parts) == 1:
        return "is neither a version nor a specifier"
    if bad:
        return f"has a part {bad[0]!r} that is not a specifier (==, >=, <, ~=, !=)"
    return None


def name_problem(name: str) -> str | None:
    return None if _NAME.match(name.strip()) else "is not a valid package name"


def requirement(name: str, spec: str) -> str:
    """One requirement line: ("pandas", "2.2.3") -> "pandas==2.2.3"; (..., ">=2") -> "pandas>=2"."""
    spec = spec.strip()
    if not spec:
        return name
    return f"{name}=={spec}" if spec[0].isdigit() else f"{name}{spec.replace(' ', '')}"


@dataclass(frozen=True)
class EnvironmentRequest:
    """What a step's environment must hold, before resolution.

    Equal requests share one environment everywhere (one venv, one Lambda function, one
    Batch bundle); `key` names it in the deployment model and in the lock.
    """

    python: str | None  # as asked ("3.12", "3.11.7"); None: the default interpreter's
    packages: tuple[tuple[str, str], ...]  # (normalised name, version spec), sorted
    # The decorators as written, flow's first: shown to users, not part of the identity.
    sources: tuple[str, ...] = field(default=(), compare=False)

    @property
    def requirements(self) -> tuple[str, ...]:
        return tuple(requirement(name, spec) for name, spec in self.packages)

    @property
    def python_minor(self) -> str | None:
        """"3.11.7" -> "3.11"."""
        version = parse_python(self.python) if self.python else None
        return f"{version[0]}.{version[1]}" if version else None

    def describe(self) -> str:
        """`python 3.12, pandas==2.2.3`: for progress lines and messages."""
        parts = [f"python {self.python}" if self.python else "default python"]
        parts += list(self.requirements) or ["no packages"]
        return ", ".join(parts)


def _packages_spec(specs: tuple[object, ...]) -> PackagesSpec | None:
    return next((s for s in specs if isinstance(s, PackagesSpec)), None)


def step_environment(graph: FlowGraph, node: StepNode) -> EnvironmentRequest | None:
    """The step's merged request; None when it runs in the default environment."""
    base = _packages_spec(graph.flow_decorators)
    own = _packages_spec(node.decorators)
    if base is None and own is None:
        return None
    disabled = own.disabled if own is not None and own.disabled is not None else (
        bool(base.disabled) if base is not None else False)
    if disabled:
        return None
    merged: dict[str, tuple[str, str]] = {}
    python = None
    sources = []
    for spec in (base, own):
        if spec is None or spec.disabled:
            continue  # a disabled flow spec contributes nothing to a step that enables its own
        sources.append(spec.source)
        python = spec.python if spec.python is not None else python
        for name, version in spec.packages:
            key = normalise_name(name)
            extras = name[name.index("["):] if "[" in name else ""
            merged[key] = (key + extras, version.strip())
    packages = tuple(sorted(merged.values()))
    return EnvironmentRequest(python=python, packages=packages, sources=tuple(sources))


def step_environments(graph: FlowGraph) -> dict[str, EnvironmentRequest]:
    """step -> request, for the steps that have one (source order)."""
    found = {}
    for node in graph.steps:
        request = step_environment(graph, node)
        if request is not None:
            found[node.name] = request
    return found
