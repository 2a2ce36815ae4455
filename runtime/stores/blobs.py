"""Bytes-only stores. `LocalBlobStore` keeps blobs as files under a root folder.

Writes are atomic (a temporary file in the same folder, then os.replace), so a run
killed mid-write never leaves half an artifact or half an index behind. We do not fsync:
the guarantee is against killed processes, not power loss, and fsync per task would
dominate the cost of a small step.

Also here: `resolve_local_root`, how every local writer and reader finds `.sfnflow/`.
"""
from __future__ import annotations

import itertools
import os
import threading
from typing import BinaryIO, Callable, Iterator

from sfn_compiler.contract.task_config import ENV_ROOT

__all__ = ["LOCAL_DIR_NAME", "LocalBlobStore", "resolve_local_root"]

LOCAL_DIR_NAME = ".sfnflow"
_TMP_COUNTER = itertools.count()


def resolve_local_root(root: str | None = None, *, start: str | None = None) -> str:
    """The local store root, as an absolute path (it may not exist yet).

    One rule for every writer (`sfnflow run`, `python flow.py run`, resume) and reader (the
    client, `sfnflow runs/logs`): an explicit `root`; else env SFNFLOW_ROOT; else the
    nearest existing `.sfnflow/` from `start` (default: the current folder) upward, as
    git finds its repository and Metaflow its `.metaflow/`; else a new `.sfnflow/` in
    `start`. Where the flow file lives does not matter, so a run and a later `Flow("X")`
    from the same folder always meet.
    """
    if root:
        return os.path.abspath(root)
    env_root = os.environ.get(ENV_ROOT)
    if env_root:
        return os.path.abspath(env_root)
    here = os.path.abspath(start or os.getcwd())
    return _nearest_root(here) or os.path.join(here, LOCAL_DIR_NAME)


def _nearest_root(folder: str) -> str | None:
    while True:
        candidate = os.path.join(folder, LOCAL_DIR_NAME)
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


class LocalBlobStore:
    """BlobStore on local disk. Keys are `/`-separated paths relative to `root`."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self._made_dirs: set[str] = set()  # skip makedirs syscalls for folders already made

    def __repr__(self) -> str:
        return f"LocalBlobStore({self.root!r})"

    def path(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid blob key {key!r}")
        return os.path.join(self.root, *key.split("/"))

    def put(self, key: str, data: bytes) -> None:
        self.write_with(key, lambda handle: handle.write(data))

    def write_with(self, key: str, write: Callable[[BinaryIO], object]) -> None:
        """Atomically store what `write(file)` writes (streamed: big values are never held twice)."""
        path = self.path(key)
        folder = os.path.dirname(path)
        if folder not in self._made_dirs:
            os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(folder)
        tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident():x}-{next(_TMP_COUNTER)}"
        try:
            try:
                handle = open(tmp, "wb")
            except FileNotFoundError:
                # The folder was removed under us (e.g. a test cleaned the root): make it again.
                self._made_dirs.discard(folder)
                os.makedirs(folder, exist_ok=True)
                handle = open(tmp, "wb")
            with handle:
                write(handle)
            os.replace(tmp, path)
        except BaseException:
            _remove_quietly(tmp)
            raise

    def open(self, key: str) -> BinaryIO:
        """The blob as a file to stream from; KeyError if there is none."""
        try:
            return open(self.path(key), "rb")
        except FileNotFoundError:
            raise KeyError(key) from None

    def size(self, key: str) -> int | None:
        try:
            return os.stat(self.path(key)).st_size
        except FileNotFoundError:
            return None

    def set_aside(self, key: str) -> str | None:
        """Move a damaged blob out of the way (kept for inspection as `<name>.damaged`), so
        the next write of the same key stores it afresh; the new path, or None if it is gone."""
        path = self.path(key)
        target = f"{path}.damaged"
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return None
        return target

    def get(self, key: str) -> bytes:
        try:
            with open(self.path(key), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return os.path.isfile(self.path(key))

    def list(self, prefix: str) -> list[str]:
        return sorted(self._walk(prefix))

    def _walk(self, prefix: str) -> Iterator[str]:
        base = prefix.rstrip("/")
        top = self.path(base) if base else self.root
        start = top if os.path.isdir(top) else os.path.dirname(top)
        for folder, _dirs, files in os.walk(start):
            rel = os.path.relpath(folder, self.root).replace(os.sep, "/")
            for name in files:
                if ".tmp-" in name or name.endswith(".damaged"):
                    continue  # a write in progress (or one killed mid-way), or a blob set aside
                key = name if rel == "." else f"{rel}/{name}"
                if key.startswith(prefix):
                    yield key


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
