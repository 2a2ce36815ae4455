"""Step environments for a local run: an interpreter for each, a lock, a cached venv.

Called before the run starts, so that everything that can be refused is refused before
any step runs: a Python this machine does not have (one sentence naming the step, the
version asked for and the versions there are), a package PyPI does not have.
"""
from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from typing import Any, Sequence

from sfn_compiler.diagnostics import SfnflowError
from sfn_compiler.environments import normalise_name

from .interpreters import Interpreter, describe_available, find_interpreters, pick_interpreter
from .locks import LockEntry, LockFile, Target, fingerprint
from .progress import EnvironmentProgress
from .resolve import resolve, with_runtime_requirements
from .uv import UvFailed
from .venvs import cached_venv, ensure_venv, runtime_path

__all__ = ["EnvironmentUnavailable", "LocalEnvironment", "describe_steps", "local_target", "locked_entry",
           "prepare_local"]


class EnvironmentUnavailable(SfnflowError):
    """A step asks for a Python this machine cannot give, or its venv cannot be built."""


@dataclass(frozen=True)
class LocalEnvironment:
    key: str  # the deployment model's StepEnvironment.key
    steps: tuple[str, ...]
    python: str  # the venv's interpreter: workers of these steps run on it
    pythonpath: str  # sfnflow's packages for those workers (see venvs.runtime_path)
    lock: LockEntry


def local_platform() -> str:
    return f"{sys.platform}-{platform.machine()}"


def runtime_requirements() -> tuple[str, ...]:
    """What the task runtime needs in a local venv: cloudpickle, at the version this process
    pickles with (artifacts written by one environment are read by the others)."""
    import cloudpickle

    return (f"cloudpickle=={cloudpickle.__version__}",)


def local_target(interpreter: Interpreter) -> Target:
    return Target("local", interpreter.version_text, local_platform(), runtime_requirements())


def describe_steps(steps: Sequence[str], sources: Sequence[str] = ()) -> str:
    """"step 'a'" / "steps 'a', 'b' and 'c'", with the decorators asking: for messages."""
    quoted = [f"'{s}'" for s in steps]
    names = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    who = ("step " if len(steps) == 1 else "steps ") + names
    return who + (f" ({' + '.join(sources)})" if sources else "")


def prepare_local(flow_name: str, model: Any, root: str, *, progress: EnvironmentProgress | None = None,
                  cache: str | None = None) -> tuple[LocalEnvironment, ...]:
    """Resolve (or reuse from the lock) and build (or reuse from the cache) every step
    environment of a compiled flow's deployment model.

    Raises:
        EnvironmentUnavailable: a Python version is not on this machine, or a build failed.
        EnvironmentResolveError: PyPI lacks a package or version (from resolve).
    """
    envs = tuple(getattr(model, "environments", ()) or ())
    if not envs:
        return ()
    progress = progress or EnvironmentProgress()
    interpreters = _interpreters(envs)
    lock = LockFile.for_flow(root, flow_name)
    prepared = []
    reused = []
    try:
        for env in envs:
            interpreter = interpreters[env.key]
            target = local_target(interpreter)
            who = describe_steps(env.steps, env.request.sources)
            entry = locked_entry(lock, env, target, interpreter.path, progress)
            try:
                python = cached_venv(entry, cache)
                if python is not None:
                    reused.append(env.key)
                else:
                    with progress.phase(f"Building environment {env.key} (Python {interpreter.version_text}, "
                                        f"{len(entry.packages)} packages, {entry.hash[:12]})", f"  built {env.key}"):
                        python = ensure_venv(entry, interpreter.path, cache=cache)
            except UvFailed as exc:
                raise EnvironmentUnavailable(f"{who}: building its environment failed: {exc}") from None
            prepared.append(LocalEnvironment(env.key, env.steps, python, runtime_path(cache), entry))
    finally:
        lock.save()
    if reused:
        progress.line(f"Environment{'s' if len(reused) > 1 else ''} {', '.join(reused)}: built before, reused")
    return tuple(prepared)


def locked_entry(lock: LockFile, env: Any, target: Target, interpreter: str | None,
                 progress: EnvironmentProgress) -> LockEntry:
    """The environment's lock entry for `target`: from the lock file, else resolved now (and added)."""
    requirements = with_runtime_requirements(env.request.requirements, target)
    key = fingerprint(requirements, target)
    entry = lock.get(key)
    if entry is None:
        who = describe_steps(env.steps, env.request.sources)
        where = "" if target.name == "local" else f" for {target.name} ({target.platform}, Python {target.python})"
        with progress.phase(f"Resolving environment {env.key}{where} for {who}", f"  resolved {env.key}") as phase:
            entry = resolve(requirements, target, interpreter=interpreter, who=who)
            phase.done = f"  resolved {env.key} to {_summary(env.request, entry)}"
        lock.put(key, entry)
    return entry


def _summary(request: Any, entry: LockEntry) -> str:
    asked = {normalise_name(name) for name, _ in request.packages}
    shown = [f"{n}=={v}" for n, v in entry.packages if n in asked]
    rest = len(entry.packages) - len(shown)
    return f"Python {entry.python}, " + ", ".join(shown + ([f"{rest} more"] if rest else []))


def _interpreters(envs: Sequence[Any]) -> dict[str, Interpreter]:
    """An interpreter per environment, or one refusal naming every step that cannot have one."""
    available = find_interpreters()
    chosen, refusals = {}, []
    for env in envs:
        found = pick_interpreter(env.request.python, available)
        if found is None:
            refusals.append(f"{describe_steps(env.steps, env.request.sources)} asks for Python {env.request.python}, "
                            f"which this machine does not have (it has {describe_available(available)}); install it "
                            f"(e.g. `pyenv install {env.request.python}`) or ask for one of those.")
        else:
            chosen[env.key] = found
    if refusals:
        raise EnvironmentUnavailable("\n".join(refusals))
    return chosen
