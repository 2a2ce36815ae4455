"""S3: Metaflow's S3 client, as flows and notebooks use it.

    with S3(run=self) as s3:                 # in a step: this run's own folder of the datastore
        url = s3.put("model.bin", blob)
        s3.get("model.bin").blob
    with S3(run=Flow("X").latest_run) as s3: # in a notebook: what that run put
        [o.key for o in s3.list_paths()]
    with S3(s3root="s3://bucket/path") as s3: # any S3 prefix (or S3() and full s3:// URLs)

`run=` is the part that goes both ways: a run's objects live beside its tasks, under
`<Flow>/<run id>/s3-data/` of the store the run writes to - the datastore bucket for a
deployed flow (the bucket and prefix the task configuration names), the local store's
folder for a laptop run - so a flow using S3(run=self) runs in both places unchanged.
`s3root`, `bucket`/`prefix` and full URLs always mean S3 itself (boto3, imported on first
use). Downloaded objects are files in a temporary folder, deleted by close() / the `with`.
"""
from __future__ import annotations

import io
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, NamedTuple

from .errors import MetaflowS3InvalidObject, MetaflowS3NotFound, MetaflowS3URLException
from .places import Info, LocalPlace, S3Place

__all__ = ["RUN_FOLDER", "S3", "S3GetObject", "S3Object", "S3PutObject"]

RUN_FOLDER = "s3-data"  # <Flow>/<run>/s3-data/: not a step name (those are identifiers)
_THREADS = 8  # parallel requests of get_many / put_many (S3 round trips dominate)


class S3GetObject(NamedTuple):
    """A ranged get: `length` bytes from `offset` (a negative length: the last bytes)."""

    key: str
    offset: int | None = None
    length: int | None = None


class S3PutObject(NamedTuple):
    key: str
    value: Any = None  # str, bytes or a readable file object
    path: str | None = None  # or a local file to upload
    content_type: str | None = None
    metadata: dict[str, Any] | None = None


class S3Object:
    """One object: where it is (`url`, `key`), whether it `exists`, its content once
    downloaded (`path`, `blob`, `text`) and its info (`size`, `content_type`, `metadata`, ...)."""

    def __init__(self, prefix: str | None, url: str, key: str, path: str | None = None, info: Info | None = None,
                 is_prefix: bool = False) -> None:
        self._prefix, self._url, self._key, self._path, self._info = prefix, url, key, path, info
        self._is_prefix = is_prefix

    url = property(lambda self: self._url)
    key = property(lambda self: self._key)
    prefix = property(lambda self: self._prefix)
    path = property(lambda self: self._path, doc="The downloaded file (deleted when the S3 scope ends).")
    exists = property(lambda self: self._info is not None and not self._is_prefix)
    downloaded = property(lambda self: self._path is not None)
    has_info = property(lambda self: self._info is not None and (self._info.content_type is not None
                                                                 or self._info.metadata is not None))
    size = property(lambda self: self._info.size if self._info is not None else None)
    content_type = property(lambda self: self._info.content_type if self._info else None)
    metadata = property(lambda self: self._info.metadata if self._info else None)
    last_modified = property(lambda self: self._info.last_modified if self._info else None)
    encryption = property(lambda self: self._info.encryption if self._info else None)

    @property
    def range_info(self) -> Any:
        if self._info is None:
            return None
        total = self._info.range_total if self._info.range_total is not None else self._info.size
        return _RangeInfo(total, self._info.range_offset, self._info.size)

    @property
    def blob(self) -> bytes | None:
        if self._path is None:
            return None
        with open(self._path, "rb") as handle:
            return handle.read()

    @property
    def text(self) -> str | None:
        blob = self.blob
        return None if blob is None else blob.decode("utf-8")

    def __repr__(self) -> str:
        return f"<S3Object {self._url} ({self.size if self.exists else 'missing' if not self._is_prefix else 'prefix'})>"


class _RangeInfo(NamedTuple):
    total_size: int
    request_offset: int
    request_length: int


class S3:
    """An S3 scope: `with S3(run=self) as s3: ...` (see the module docstring)."""

    def __init__(self, tmproot: str = ".", bucket: str | None = None, prefix: str | None = None, run: Any = None,
                 s3root: str | None = None, **kwargs: Any) -> None:
        self._client = kwargs.get("external_client")  # a boto3 S3 client to use (Metaflow's name)
        self._place: LocalPlace | S3Place | None = None
        self._root_url: str | None = None
        if run is not None:
            self._place = _run_place(run, self._client)
        elif s3root:
            if not s3root.startswith("s3://"):
                raise MetaflowS3URLException(f"s3root must be an s3:// URL, not {s3root!r}.")
            bucket_name, _, path = s3root[len("s3://"):].partition("/")
            self._place = S3Place(bucket_name, _folder(path), self._client)
        elif bucket:
            self._place = S3Place(bucket, _folder(prefix or ""), self._client)
        if self._place is not None:
            self._root_url = self._place.url("").rstrip("/")
        tmproot = tmproot if os.path.isdir(tmproot) and os.access(tmproot, os.W_OK) else tempfile.gettempdir()
        self._tmpdir: str | None = tempfile.mkdtemp(dir=tmproot, prefix="sfnflow.s3.")
        self._s3_places: dict[str, S3Place] = {}

    def __enter__(self) -> "S3":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Delete every file this scope downloaded."""
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    # -- reading --------------------------------------------------------------------------
    def get(self, key: str | S3GetObject | None = None, return_missing: bool = False,
            return_info: bool = True) -> S3Object:
        """Download one object; a missing one raises MetaflowS3NotFound (or, with
        return_missing=True, comes back with `exists == False`)."""
        place, full, shown = self._resolve(getattr(key, "key", key))
        byte_range = (key.offset, key.length) if isinstance(key, S3GetObject) else None
        dest = self._download_path()
        try:
            info = place.get(full, dest, byte_range)
        except MetaflowS3NotFound:
            if not return_missing:
                raise
            return S3Object(self._root_url, place.url(full), shown)
        return S3Object(self._root_url, place.url(full), shown, dest, info)

    def get_many(self, keys: Iterable[str | S3GetObject], return_missing: bool = False,
                 return_info: bool = True) -> list[S3Object]:
        """Download several objects at once, in the order given."""
        keys = list(keys)
        with ThreadPoolExecutor(min(_THREADS, max(1, len(keys)))) as pool:
            return list(pool.map(lambda k: self.get(k, return_missing, return_info), keys))

    def get_recursive(self, keys: Iterable[str], return_info: bool = False) -> list[S3Object]:
        """Download every object under each of these prefixes."""
        found = self.list_recursive(keys)
        return self.get_many([o.key for o in found])

    def get_all(self, return_info: bool = False) -> list[S3Object]:
        """Download every object under the scope's root (s3root / run)."""
        if self._place is None:
            raise MetaflowS3URLException("get_all() needs a root: S3(run=self) or S3(s3root='s3://...').")
        return self.get_recursive([None])  # type: ignore[list-item]

    def info(self, key: str | None = None, return_missing: bool = False) -> S3Object:
        """Size, type and metadata of one object, without downloading it."""
        place, full, shown = self._resolve(key)
        info = place.head(full)
        if info is None and not return_missing:
            raise MetaflowS3NotFound(f"{place.url(full)} does not exist.")
        return S3Object(self._root_url, place.url(full), shown, None, info)

    def info_many(self, keys: Iterable[str], return_missing: bool = False) -> list[S3Object]:
        return [self.info(k, return_missing) for k in keys]

    def list_paths(self, keys: Iterable[str] | None = None) -> list[S3Object]:
        """The next level under each key (default: the root): objects, and sub-prefixes
        as objects with `exists == False`."""
        return self._list(keys, recursive=False)

    def list_recursive(self, keys: Iterable[str] | None = None) -> list[S3Object]:
        """Every object under each key (default: the root)."""
        return self._list(keys, recursive=True)

    # -- writing --------------------------------------------------------------------------
    def put(self, key: str | S3PutObject, obj: Any = None, overwrite: bool = True, content_type: str | None = None,
            metadata: dict[str, Any] | None = None) -> str:
        """Store a str (as UTF-8), bytes or a readable file object at key; return its URL.
        With overwrite=False an existing object is left as it is."""
        if isinstance(key, S3PutObject):
            key, obj, content_type, metadata = key.key, key.value, key.content_type, key.metadata
        place, full, _ = self._resolve(key)
        if not overwrite and place.head(full) is not None:
            return place.url(full)
        place.put_bytes(full, _as_bytes(key, obj), content_type, metadata)
        return place.url(full)

    def put_many(self, key_objs: Iterable[Any], overwrite: bool = True) -> list[tuple[str, str]]:
        """(key, obj) pairs or S3PutObjects; returns [(key, url)]."""
        items = [k if isinstance(k, S3PutObject) else S3PutObject(k[0], k[1]) for k in key_objs]
        return self._parallel(lambda item: (item.key, self.put(item, overwrite=overwrite)), items)

    def put_files(self, key_paths: Iterable[Any], overwrite: bool = True) -> list[tuple[str, str]]:
        """(key, local path) pairs or S3PutObjects with `path`; returns [(key, url)]."""
        items = [k if isinstance(k, S3PutObject) else S3PutObject(k[0], path=k[1]) for k in key_paths]
        for item in items:
            if not item.path or not os.path.isfile(item.path):
                raise MetaflowS3NotFound(f"put_files: local file {item.path!r} (for key {item.key!r}) not found.")

        def upload(item: S3PutObject) -> tuple[str, str]:
            place, full, _ = self._resolve(item.key)
            if overwrite or place.head(full) is None:
                place.put_file(full, item.path, item.content_type, item.metadata)  # type: ignore[arg-type]
            return item.key, place.url(full)

        return self._parallel(upload, items)

    # -- keys to places -------------------------------------------------------------------
    def _resolve(self, key: str | None) -> tuple[LocalPlace | S3Place, str, str]:
        """(place, key inside the place, key as the caller sees it)."""
        key = None if key is None else str(key)
        if self._place is None:
            if not key or not key.startswith("s3://") or "/" not in key[len("s3://"):]:
                raise MetaflowS3URLException(
                    f"{key!r} is not a full s3:// URL. Use S3(run=self) in a step, S3(s3root='s3://bucket/path'), "
                    "or give full s3://bucket/key URLs.")
            bucket, _, path = key[len("s3://"):].partition("/")
            return self._bucket_place(bucket), path, key
        if key and (key.startswith("s3://") or key.startswith("file://")):
            raise MetaflowS3URLException(f"{key}: this S3 scope has a root ({self._root_url}); give keys relative "
                                         "to it, or use a scope without a root (S3()) for full URLs.")
        relative = (key or "").lstrip("/")
        if ".." in relative.split("/"):
            raise MetaflowS3URLException(f"{key!r}: a key stays under the scope's root ({self._root_url}); "
                                         "'..' is not allowed in it.")
        return self._place, relative, key or ""

    def _bucket_place(self, bucket: str) -> S3Place:
        if bucket not in self._s3_places:
            self._s3_places[bucket] = S3Place(bucket, "", self._client)
        return self._s3_places[bucket]

    def _list(self, keys: Iterable[str] | None, recursive: bool) -> list[S3Object]:
        found: list[S3Object] = []
        for key in [None] if keys is None else list(keys):
            place, full, shown = self._resolve(key)
            base = full if not full or full.endswith("/") else full + "/"
            objects, prefixes = place.list(base, recursive)
            for name, size in objects:
                found.append(S3Object(self._root_url, place.url(name), self._shown(name, shown, full), None,
                                      Info(size=size)))
            for name in prefixes:
                found.append(S3Object(self._root_url, place.url(name), self._shown(name, shown, full).rstrip("/"),
                                      None, Info(size=0), is_prefix=True))
        return found

    def _shown(self, name: str, asked: str, full: str) -> str:
        """A listed key as the caller names keys: relative to the root, or a full URL."""
        if self._place is not None:
            return name
        return asked[: len(asked) - len(full)] + name

    def _download_path(self) -> str:
        if self._tmpdir is None:
            raise MetaflowS3URLException("this S3 scope is closed; open a new one (with S3(...) as s3:).")
        handle, path = tempfile.mkstemp(dir=self._tmpdir, prefix="obj-")
        os.close(handle)
        return path

    def _parallel(self, work: Any, items: list[Any]) -> list[Any]:
        with ThreadPoolExecutor(min(_THREADS, max(1, len(items)))) as pool:
            return list(pool.map(work, items))


def _as_bytes(key: str, obj: Any) -> bytes:
    if isinstance(obj, str):
        return obj.encode("utf-8")
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj)
    if isinstance(obj, io.IOBase) or hasattr(obj, "read"):
        data = obj.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise MetaflowS3InvalidObject(f"put({key!r}, ...): the object is a {type(obj).__name__}; S3 stores str, bytes "
                                  "or a file object. Serialize it first (pickle.dumps, json.dumps), or make it "
                                  "an artifact (self.x = ...).")


def _folder(path: str) -> str:
    path = path.strip("/")
    return f"{path}/" if path else ""


def _run_place(run: Any, client: Any) -> LocalPlace | S3Place:
    """The folder of the datastore a run's objects go to: `run` is a running step's `self`
    or a client Run."""
    from runtime.stores.blobs import LocalBlobStore
    from runtime.stores.s3 import S3BlobStore

    flow, run_id, blobs = _run_identity(run)
    if isinstance(blobs, LocalBlobStore):
        base = os.path.join(blobs.root, flow, run_id)
        return LocalPlace(os.path.join(base, RUN_FOLDER), os.path.join(base, f"{RUN_FOLDER}-info"))
    if isinstance(blobs, S3BlobStore):
        return S3Place(blobs.bucket, f"{blobs.prefix}{flow}/{run_id}/{RUN_FOLDER}/", client or blobs.client)
    raise MetaflowS3URLException(f"S3(run=...): the run's store ({blobs!r}) is neither S3 nor a local folder.")


def _run_identity(run: Any) -> tuple[str, str, Any]:
    from runtime.context import CTX_ATTR

    ctx = getattr(run, "__dict__", {}).get(CTX_ATTR)
    if ctx is not None:  # `self` in a running step
        return ctx.flow, ctx.run, ctx.store.blobs
    stores = getattr(run, "_st", None)
    if stores is not None and hasattr(run, "flow_name"):  # a client Run
        return run.flow_name, run.id, stores.artifacts.blobs
    raise MetaflowS3URLException(f"S3(run={run!r}): give `self` inside a running step, or a client Run "
                                 "(Flow('X').latest_run) outside one.")
