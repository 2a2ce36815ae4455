"""Local virtual environments, one per environment hash, cached and shared by every flow.

    <cache>/venvs/<hash>/            a venv made by `uv venv` from the chosen interpreter,
                                     holding exactly the locked packages (`--no-deps`)
    <cache>/venvs/<hash>/sfnflow-environment.json   written last: the venv is complete
    <cache>/runtime/<id>/            links to the sfnflow packages that run the tasks

The cache is `$SFNFLOW_ENV_CACHE`, else `$XDG_CACHE_HOME/sfnflow/environments` (~/.cache).
A build holds a file lock, so two runs needing the same environment build it once; a
half-built venv (a killed build) has no marker and is built again.

sfnflow itself is not installed into the venvs: workers get it on PYTHONPATH from links
to the running copy's packages (`runtime_path`), so one venv serves every sfnflow
version and checkout, and the venv holds the user's packages and nothing else.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from contextlib import contextmanager
from typing import Iterator

from sfn_compiler.contract import task_config

from .locks import LockEntry
from .uv import UvFailed, run_uv

__all__ = ["cache_root", "cached_venv", "ensure_venv", "runtime_path", "venv_python"]

MARKER = "sfnflow-environment.json"
_OUR_PACKAGES = ("sfnflow", "sfn_compiler", "runtime")


def cache_root() -> str:
    configured = os.environ.get(task_config.ENV_ENV_CACHE)
    if configured:
        return os.path.abspath(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "sfnflow", "environments")


def venv_python(folder: str) -> str:
    return os.path.join(folder, "bin", "python")


@contextmanager
def _locked(path: str) -> Iterator[None]:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def cached_venv(entry: LockEntry, cache: str | None = None) -> str | None:
    """The venv's python if the environment is built, else None."""
    folder = os.path.join(cache or cache_root(), "venvs", entry.hash)
    return venv_python(folder) if os.path.isfile(os.path.join(folder, MARKER)) else None


def ensure_venv(entry: LockEntry, interpreter: str, *, cache: str | None = None) -> str:
    """The venv's python for a locked environment; builds it if it is not cached.

    Raises:
        UvFailed: uv could not create the venv or install a locked package.
    """
    root = os.path.join(cache or cache_root(), "venvs")
    folder = os.path.join(root, entry.hash)
    with _locked(os.path.join(root, f".{entry.hash}.lock")):
        found = cached_venv(entry, cache)
        if found is not None:
            return found  # built before, or by another process while we waited
        shutil.rmtree(folder, ignore_errors=True)  # a build that was killed half-way
        started = time.monotonic()
        try:
            run_uv(["venv", "--quiet", "--no-project", "--python", interpreter, folder])
            if entry.pins:
                # Bytecode now, once: a venv is shared by every later run, and its imports are on
                # the first task's clock (pandas imports in ~1 s compiled, ~3.5 s from source).
                run_uv(["pip", "install", "--quiet", "--no-deps", "--compile-bytecode", "--python", venv_python(folder),
                        "-r", "-"],
                       stdin="\n".join(entry.pins) + "\n")
        except UvFailed:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with open(os.path.join(folder, MARKER), "w", encoding="utf-8") as fh:
            json.dump({**entry.to_json(), "interpreter": interpreter,
                       "build_seconds": round(time.monotonic() - started, 2)}, fh, indent=2, sort_keys=True)
    return venv_python(folder)


def runtime_path(cache: str | None = None) -> str:
    """A folder holding only links to this sfnflow's packages, for a worker's PYTHONPATH."""
    import sfnflow

    source = os.path.dirname(os.path.dirname(os.path.abspath(sfnflow.__file__)))
    ident = hashlib.sha256(source.encode()).hexdigest()[:16]
    folder = os.path.join(cache or cache_root(), "runtime", ident)
    if all(os.path.islink(os.path.join(folder, p)) for p in _OUR_PACKAGES):
        return folder
    os.makedirs(folder, exist_ok=True)
    for package in _OUR_PACKAGES:
        link = os.path.join(folder, package)
        tmp = f"{link}.{os.getpid()}"
        os.symlink(os.path.join(source, package), tmp)
        os.replace(tmp, link)
    return folder
