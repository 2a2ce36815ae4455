"""Content addressing and per-task indexes, above any BlobStore (local disk, S3).

Layout (relative to the blob store's root, identical locally and in S3):

    <flow>/data/<sha[:2]>/<sha>                 one serialized value (runtime.serialize), checked on read
    <flow>/<run>/<step>/<task>/index.json       {"artifacts": {name: sha}, "meta": {...}}
    <flow>/<run>/<step>/<task>/<attempt>.stdout  captured logs (.stderr likewise)
    <flow>/<run>/<step>/<task>/foreach.json     a wide foreach's child task ids (envelope.foreach_items_key)
    <flow>/<run>/<step>/<task>/failed.<attempt>.json  what a failed attempt had set (as index.json)

A value already stored is not written again. Indexes are written once, when a task
succeeds (or is caught / reused), and never change after, so reads of existing indexes
and blobs may be cached in a warm worker.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from .. import serialize as ser
from .base import BlobStore, TaskIndex

__all__ = ["ArtifactDamaged", "ArtifactLoadError", "ArtifactMissing", "ArtifactStore"]


class ArtifactLoadError(Exception):
    """A stored value does not load in this interpreter (see runtime.serialize on portability)."""

_BLOB_CACHE_BYTES = 64 * 1024 * 1024  # a warm Lambda reads the same parent artifacts for many tasks
_INDEX_CACHE_ENTRIES = 4096
_KNOWN_KEYS_MAX = 200_000
_VERIFY_WHOLE_BYTES = 1024 * 1024  # an existing blob up to this size is hash-checked before it is trusted


class ArtifactMissing(KeyError):
    """No blob has this artifact's name (deleted, or never written)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"its blob {self.key} is missing"


class ArtifactDamaged(ValueError):
    """The blob's content does not hash to its name: truncated, cut, or overwritten."""

    def __init__(self, key: str, detail: str, moved_to: str | None = None) -> None:
        self.key, self.detail, self.moved_to = key, detail, moved_to
        aside = f"; it was set aside as {moved_to}" if moved_to else ""
        super().__init__(f"its blob {key} is damaged ({detail}){aside}")


class ArtifactStore:
    """Saves and loads artifact values by sha; reads and writes task indexes and logs."""

    def __init__(self, blobs: BlobStore, *, cache_bytes: int = _BLOB_CACHE_BYTES) -> None:
        self.blobs = blobs
        self._cache_limit = cache_bytes
        self._blob_cache: OrderedDict[str, bytes] = OrderedDict()
        self._blob_cache_size = 0
        self._index_cache: OrderedDict[str, TaskIndex] = OrderedDict()
        self._known: set[str] = set()  # data keys known to exist (written or seen)

    def __repr__(self) -> str:
        return f"ArtifactStore({self.blobs!r})"

    # -- keys -----------------------------------------------------------------------
    @staticmethod
    def data_key(flow: str, sha: str) -> str:
        return f"{flow}/data/{sha[:2]}/{sha}"

    @staticmethod
    def task_prefix(flow: str, run: str, step: str, task: str) -> str:
        return f"{flow}/{run}/{step}/{task}/"

    # -- values ---------------------------------------------------------------------
    def save(self, flow: str, values: dict[str, Any]) -> dict[str, str]:
        """Store each value (unless a whole blob with its sha exists); return name -> sha."""
        shas = {}
        for name, value in values.items():
            packed = ser.pack_value(value)
            self.put_packed(flow, packed)
            shas[name] = packed.sha
        return shas

    def put_packed(self, flow: str, packed: ser.Packed, progress: ser.Progress | None = None) -> bool:
        """Store a packed value under its sha; True if it was written.

        Deduplication looks at the name before compressing or writing anything. A blob
        already there is trusted only if it looks whole (header against file size): a
        truncated or emptied one is replaced, so a rerun heals the store.
        """
        key = self.data_key(flow, packed.sha)
        if key in self._known or self._stored_whole(key):
            self._remember_known(key)
            return False
        write_with = getattr(self.blobs, "write_with", None)
        if write_with is not None:
            write_with(key, lambda out: packed.write_to(out, progress))
        else:
            self.blobs.put(key, packed.to_bytes())
        self._remember_known(key)
        return True

    def looks_whole(self, flow: str, sha: str) -> bool:
        """The blob exists and its header agrees with its size (cheap: no hashing)."""
        key = self.data_key(flow, sha)
        return key in self._known or self._stored_whole(key)

    def _stored_whole(self, key: str) -> bool:
        size_of = getattr(self.blobs, "size", None)
        if size_of is None:
            return self.blobs.exists(key)  # S3: a PutObject lands whole or not at all
        size = size_of(key)
        if size is None:
            return False
        try:
            if size <= _VERIFY_WHOLE_BYTES:  # small: check the hash itself, it costs less than a write
                return ser.holds(self.blobs.get(key), key.rsplit("/", 1)[1])
            with self.blobs.open(key) as handle:  # type: ignore[attr-defined]
                return ser.looks_whole(handle, size)
        except (KeyError, OSError):
            return False

    def _remember_known(self, key: str) -> None:
        if len(self._known) >= _KNOWN_KEYS_MAX:
            self._known.clear()  # bounded memory in a worker that lives for many runs
        self._known.add(key)

    def load(self, flow: str, sha: str, name: str | None = None) -> Any:
        """The value with this sha, checked against it.

        Raises:
            ArtifactMissing (a KeyError): no blob has that name.
            ArtifactDamaged: the blob's content does not hash to its name; the blob is set
                aside, so the next write of the value stores it afresh.
            ArtifactLoadError: the value cannot be rebuilt here (`name` is the artifact's,
                for the message): code pickled on another Python minor, a missing library.
                Its __cause__ is the original error (e.g. ModuleNotFoundError).
        """
        key = self.data_key(flow, sha)
        try:
            return self._read(key, sha)
        except ser.BlobDamaged as exc:
            raise self._damaged(key, exc) from None
        except (ArtifactMissing, OSError):
            raise
        except ser.ArtifactNotPortable as exc:
            what = f"artifact '{name}'" if name else f"artifact {sha[:12]}"
            raise ArtifactLoadError(
                f"{what} was written on Python {exc.written_on} and holds code pickled by value (a function, "
                f"lambda or class with methods defined where it cannot be imported by name), which Python "
                f"{exc.read_on} cannot load; store plain data instead, or read it on Python {exc.written_on}."
            ) from None
        except Exception as exc:
            import platform

            what = f"artifact '{name}'" if name else f"artifact {sha[:12]}"
            raise ArtifactLoadError(
                f"{what} cannot be loaded on Python {platform.python_version()}: {type(exc).__name__}: {exc} "
                "(a library's objects load only where that library, at a compatible version, is installed)."
            ) from exc

    def _read(self, key: str, sha: str) -> Any:
        cached = self._blob_cache.get(key)
        if cached is not None:
            self._blob_cache.move_to_end(key)
            return ser.deserialize(cached)  # checked when it was read
        size_of = getattr(self.blobs, "size", None)
        size = size_of(key) if size_of is not None else None
        try:
            if size is not None and size > self._cache_limit // 4:
                with self.blobs.open(key) as handle:  # type: ignore[attr-defined]
                    return ser.read_value(handle, sha)  # streamed: never the whole blob plus the value
            blob = self.blobs.get(key)
        except KeyError:
            raise ArtifactMissing(key) from None
        value = ser.deserialize(blob, sha)
        self._cache_blob(key, blob)
        return value

    def _damaged(self, key: str, exc: Exception) -> "ArtifactDamaged":
        self._known.discard(key)
        set_aside = getattr(self.blobs, "set_aside", None)
        moved = set_aside(key) if set_aside is not None else None
        return ArtifactDamaged(key, str(exc), moved)

    def has(self, flow: str, sha: str) -> bool:
        key = self.data_key(flow, sha)
        return key in self._known or self.blobs.exists(key)

    def _cache_blob(self, key: str, blob: bytes) -> None:
        if len(blob) <= self._cache_limit // 4:
            self._blob_cache[key] = blob
            self._blob_cache_size += len(blob)
            while self._blob_cache_size > self._cache_limit:
                _, old = self._blob_cache.popitem(last=False)
                self._blob_cache_size -= len(old)

    # -- task indexes ---------------------------------------------------------------
    def put_index(
        self, flow: str, run: str, step: str, task: str, index: dict[str, str], meta: dict[str, Any] | None = None
    ) -> None:
        key = self.task_prefix(flow, run, step, task) + "index.json"
        record = TaskIndex(artifacts=dict(index), meta=dict(meta or {}))
        self.blobs.put(key, json.dumps({"artifacts": record.artifacts, "meta": record.meta},
                                       sort_keys=True).encode())
        self._remember_index(key, record)

    def get_index(self, flow: str, run: str, step: str, task: str) -> TaskIndex | None:
        """The task's index, or None if the task has not finished (successfully)."""
        key = self.task_prefix(flow, run, step, task) + "index.json"
        cached = self._index_cache.get(key)
        if cached is not None:
            return cached
        try:
            raw = json.loads(self.blobs.get(key))
        except KeyError:
            return None  # not cached: the task may still finish later
        record = TaskIndex(artifacts=dict(raw.get("artifacts") or {}), meta=dict(raw.get("meta") or {}))
        self._remember_index(key, record)
        return record

    def put_failed_index(self, flow: str, run: str, step: str, task: str, attempt: int, index: dict[str, str],
                         meta: dict[str, Any] | None = None) -> None:
        """The artifacts a failed attempt had set when it raised or timed out (Metaflow keeps them too).

        Kept apart from index.json, which says the task finished: joins, resume and the
        switch probes only ever read that one.
        """
        key = self.task_prefix(flow, run, step, task) + f"failed.{int(attempt)}.json"
        self.blobs.put(key, json.dumps({"artifacts": dict(index), "meta": dict(meta or {})}, sort_keys=True).encode())

    def get_failed_index(self, flow: str, run: str, step: str, task: str, attempt: int) -> TaskIndex | None:
        key = self.task_prefix(flow, run, step, task) + f"failed.{int(attempt)}.json"
        try:
            raw = json.loads(self.blobs.get(key))
        except KeyError:
            return None
        return TaskIndex(artifacts=dict(raw.get("artifacts") or {}), meta=dict(raw.get("meta") or {}))

    def _remember_index(self, key: str, record: TaskIndex) -> None:
        self._index_cache[key] = record
        if len(self._index_cache) > _INDEX_CACHE_ENTRIES:
            self._index_cache.popitem(last=False)

    # -- logs -----------------------------------------------------------------------
    def put_log(self, flow: str, run: str, step: str, task: str, attempt: int, stream: str, data: bytes) -> None:
        """Store one stream ("stdout" | "stderr") of one attempt."""
        self.blobs.put(self.log_key(flow, run, step, task, attempt, stream), data)

    def get_log(self, flow: str, run: str, step: str, task: str, attempt: int, stream: str) -> bytes:
        """The stream's bytes; b"" if the attempt wrote nothing (empty logs are not stored)."""
        try:
            return self.blobs.get(self.log_key(flow, run, step, task, attempt, stream))
        except KeyError:
            return b""

    def local_log_path(self, flow: str, run: str, step: str, task: str, attempt: int, stream: str) -> str | None:
        """Where the stream's log file is on local disk (a store on disk), else None (S3)."""
        path = getattr(self.blobs, "path", None)
        return path(self.log_key(flow, run, step, task, attempt, stream)) if path is not None else None

    def log_key(self, flow: str, run: str, step: str, task: str, attempt: int, stream: str) -> str:
        if stream not in ("stdout", "stderr"):
            raise ValueError(f"stream must be stdout or stderr, not {stream!r}")
        return self.task_prefix(flow, run, step, task) + f"{int(attempt)}.{stream}"

    # -- small JSON documents (foreach items) ---------------------------------------
    def put_json(self, key: str, value: Any) -> None:
        self.blobs.put(key, json.dumps(value, separators=(",", ":")).encode())

    def get_json(self, key: str) -> Any:
        """KeyError if missing."""
        return json.loads(self.blobs.get(key))
