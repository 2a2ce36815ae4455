"""Resolving a step environment's request into exact versions with `uv pip compile`.

For this machine the resolution is for the chosen interpreter; for a cloud target it is
for the runtime's Python version and platform (manylinux wheels only: nothing is built
from source, since there is no Docker to build it for Linux in).
"""
from __future__ import annotations

import re
from typing import Sequence

from sfn_compiler.diagnostics import SfnflowError
from sfn_compiler.environments import normalise_name

from .locks import LockEntry, Target, environment_hash
from .uv import UvFailed, run_uv

__all__ = ["EnvironmentResolveError", "resolve", "with_runtime_requirements"]

_NOT_FOUND = re.compile(r"Because ([A-Za-z0-9._\[\]-]+) was not found in the package registry")
_NO_VERSION = re.compile(r"there is no version of ([A-Za-z0-9._\[\]-]+)(\S*)")
_ONLY_SDIST = re.compile(r"([A-Za-z0-9._-]+)==?\S* (?:has no wheels|only has source distributions|has no usable wheels)")
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;]+)")


class EnvironmentResolveError(SfnflowError):
    """The packages asked for cannot be resolved from PyPI (names the steps and packages)."""


def with_runtime_requirements(requirements: Sequence[str], target: Target) -> tuple[str, ...]:
    """The user's lines plus what sfnflow's runtime needs there, unless the user pinned it."""
    named = {normalise_name(re.split(r"[<>=!~;\s\[]", line, maxsplit=1)[0]) for line in requirements}
    extra = [line for line in target.runtime_requirements
             if normalise_name(re.split(r"[<>=!~;\s\[]", line, maxsplit=1)[0]) not in named]
    return tuple(requirements) + tuple(extra)


def resolve(requirements: Sequence[str], target: Target, *, interpreter: str | None, who: str) -> LockEntry:
    """Exact versions for `requirements` on `target`.

    Args:
        interpreter: the Python to resolve for (a local target), or None for a cloud one.
        who: the steps and decorators asking, for messages ("step 'train' (@pypi(...))").

    Raises:
        EnvironmentResolveError: PyPI lacks a package or version, or the versions conflict.
    """
    args = ["pip", "compile", "-", "--no-header", "--no-annotate", "--quiet"]
    if interpreter is not None:
        args += ["--python", interpreter]
    else:
        args += ["--python-version", target.python, "--python-platform", target.platform, "--only-binary", ":all:"]
    try:
        out = run_uv(args, stdin="\n".join(requirements) + "\n")
    except UvFailed as exc:
        raise EnvironmentResolveError(explain(exc.stderr, who, target)) from None
    packages = []
    for line in out.splitlines():
        match = _PIN.match(line.strip())
        if match:
            packages.append((normalise_name(match.group(1)), match.group(2)))
    packages.sort()
    locked = tuple(packages)
    return LockEntry(tuple(requirements), target.python, target.platform, locked,
                     environment_hash(target.python, target.platform, locked))


def explain(stderr: str, who: str, target: Target) -> str:
    """uv's reason as one sentence that names the packages."""
    where = f"Python {target.python}" + (f" on {target.platform}" if target.cloud else "")
    missing = sorted(set(_NOT_FOUND.findall(stderr)))
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        noun = "a package" if len(missing) == 1 else "packages"
        return (f"{who} asks for {noun} PyPI does not have: {names}; check the spelling on https://pypi.org "
                "(@conda libraries are resolved from PyPI too).")
    versions = sorted({name + spec for name, spec in _NO_VERSION.findall(stderr)})
    if versions:
        return (f"{who} asks for {', '.join(versions)}, which PyPI does not have for {where}; "
                "pick a version PyPI lists for that Python.")
    sdists = sorted(set(_ONLY_SDIST.findall(stderr)))
    if sdists and target.cloud:
        return (f"{who} needs {', '.join(sdists)}, which has no manylinux wheel for {where}; sfnflow installs "
                "wheels only for the cloud (no Docker to build in): pick a version with wheels.")
    reason = " ".join(line.strip() for line in stderr.splitlines()
                      if line.strip() and not line.strip().startswith(("warning:", "hint:")))
    return f"{who}: the packages cannot be resolved for {where}: {reason[-1500:]}"
