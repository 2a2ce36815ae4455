"""Python interpreters on this machine: the running one, `python3.X` on PATH, and
pyenv-style version folders (`$PYENV_ROOT/versions/*/bin/python`, also uv's managed
Pythons). Each candidate is asked for its version (in parallel, `-I -S`: no site, so a
broken one cannot hang on imports), so a folder's name is never trusted.

pyenv's shims are skipped: they are scripts that pick a version from pyenv's own
settings, not the interpreter their name says.
"""
from __future__ import annotations

import glob
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache

from sfn_compiler.contract import task_config

__all__ = ["Interpreter", "describe_available", "find_interpreters", "host_interpreter", "pick_interpreter"]

_PROBE = ("import sys;v=sys.version_info;"
          "sys.stdout.write('%d.%d.%d %s' % (v[0], v[1], v[2], getattr(sys, '_base_executable', '') or sys.executable))")
_PROBE_TIMEOUT_S = 10


@dataclass(frozen=True)
class Interpreter:
    version: tuple[int, int, int]
    path: str  # a base interpreter (not a venv's), fit for `uv venv --python`

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def minor(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"


def _candidates() -> list[str]:
    found = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or "shims" in folder.split(os.sep):
            continue
        found += sorted(glob.glob(os.path.join(folder, "python3.[0-9]*")))
        found += [os.path.join(folder, "python3")]
    roots = [os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv"),
             os.path.expanduser("~/.local/share/uv/python")]
    for root in roots:
        found += sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3")))
        found += sorted(glob.glob(os.path.join(root, "cpython-*", "bin", "python3")))
    extra = os.environ.get(task_config.ENV_PYTHONS, "")  # more interpreters, os.pathsep-separated
    found += [p for p in extra.split(os.pathsep) if p]
    seen, unique = set(), []
    for path in found:
        real = os.path.realpath(path)
        if real not in seen and os.path.isfile(real) and os.access(real, os.X_OK) and not real.endswith("-config"):
            seen.add(real)
            unique.append(path)
    return unique


@lru_cache(maxsize=1)
def find_interpreters() -> tuple[Interpreter, ...]:
    """Every working interpreter found, newest version first (one per exact version)."""
    procs = []
    for path in _candidates():
        try:
            procs.append(subprocess.Popen([path, "-I", "-S", "-c", _PROBE], stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True))
        except OSError:
            continue
    by_version: dict[tuple[int, int, int], Interpreter] = {}
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=_PROBE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            continue
        parts = out.split(" ", 1)
        if proc.returncode != 0 or len(parts) != 2:
            continue
        try:
            version = tuple(int(x) for x in parts[0].split("."))
        except ValueError:
            continue
        if len(version) == 3 and version not in by_version and os.path.isfile(parts[1]):
            by_version[version] = Interpreter(version, parts[1])  # type: ignore[arg-type]
    host = host_interpreter()
    by_version.setdefault(host.version, host)
    return tuple(sorted(by_version.values(), key=lambda i: i.version, reverse=True))


def host_interpreter() -> Interpreter:
    """The interpreter running sfnflow (its base, if this is a venv)."""
    base = getattr(sys, "_base_executable", "") or sys.executable
    v = sys.version_info
    return Interpreter((v.major, v.minor, v.micro), base if os.path.isfile(base) else sys.executable)


def pick_interpreter(asked: str | None, available: tuple[Interpreter, ...] | None = None) -> Interpreter | None:
    """The interpreter for `python=asked`: "3.12" -> the newest 3.12.x, "3.12.1" -> exactly it,
    None -> the running one. None when there is no such interpreter."""
    if asked is None:
        return host_interpreter()
    wanted = tuple(int(x) for x in asked.split("."))
    pool = find_interpreters() if available is None else available
    if len(wanted) == 2 and (sys.version_info[0], sys.version_info[1]) == wanted:
        return host_interpreter()  # the running minor: no second interpreter to start
    return next((i for i in pool if i.version[:len(wanted)] == wanted), None)


def describe_available(available: tuple[Interpreter, ...]) -> str:
    """"3.13.0, 3.12.1, 3.11.7 and 3.10.13" (sfnflow-capable ones only)."""
    names = [i.version_text for i in available if i.version[:2] >= (3, 10)]
    if not names:
        return "none"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
