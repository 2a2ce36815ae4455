"""Where an S3 client's objects live: a bucket in S3, or a folder of the local store.

Both answer the same five questions (get into a file, head, put bytes or a file, list),
so the S3 client above them is one piece of code, and a flow using `S3(run=self)` runs
on a laptop (files under the local store) and in the cloud (the datastore bucket) alike.
boto3 is imported only when an S3 place makes its first client.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from typing import Any

from .errors import MetaflowS3AccessDenied, MetaflowS3Exception, MetaflowS3NotFound, MetaflowS3URLException

__all__ = ["Info", "LocalPlace", "S3Place"]

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_DENIED = frozenset({"403", "AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch"})
_USER_ATTRIBUTES = "metaflow-user-attributes"  # Metaflow's metadata key: objects stay readable by both


@dataclass(frozen=True)
class Info:
    size: int
    last_modified: int | None = None
    content_type: str | None = None
    metadata: dict[str, Any] | None = None
    range_total: int | None = None  # a ranged get: the whole object's size
    range_offset: int = 0
    encryption: str | None = None


@dataclass
class S3Place:
    """Objects in S3: `bucket`, keys under `base` (e.g. "<prefix><Flow>/<run>/s3-data/")."""

    bucket: str
    base: str = ""
    client: Any = None
    _made: Any = field(default=None, repr=False)

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.base}{key}"

    @property
    def s3(self) -> Any:
        if self.client is None and self._made is None:
            import boto3
            from botocore.config import Config

            self._made = boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 10}))
        return self.client if self.client is not None else self._made

    def get(self, key: str, dest: str, byte_range: tuple[int | None, int | None] | None = None) -> Info:
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self.base + key}
        if byte_range is not None:
            args["Range"] = _range_header(*byte_range)
        response = self._call(key, self.s3.get_object, **args)
        body = response["Body"]
        try:
            with open(dest, "wb") as out:
                for chunk in body.iter_chunks(8 << 20):
                    out.write(chunk)
        finally:
            body.close()
        info = self._info(response)
        if byte_range is not None and response.get("ContentRange"):
            span, _, total = response["ContentRange"].partition(" ")[2].partition("/")
            return Info(**{**info.__dict__, "range_total": int(total), "range_offset": int(span.split("-")[0])})
        return info

    def head(self, key: str) -> Info | None:
        try:
            return self._info(self._call(key, self.s3.head_object, Bucket=self.bucket, Key=self.base + key))
        except MetaflowS3NotFound:
            return None

    def put_bytes(self, key: str, data: bytes, content_type: str | None, metadata: dict[str, Any] | None) -> None:
        self._call(key, self.s3.put_object, Bucket=self.bucket, Key=self.base + key, Body=data,
                   **_extra(content_type, metadata))

    def put_file(self, key: str, path: str, content_type: str | None, metadata: dict[str, Any] | None) -> None:
        # upload_file goes multipart past 8 MB, so files over PutObject's 5 GB work too.
        self._call(key, self.s3.upload_file, path, self.bucket, self.base + key,
                   ExtraArgs=_extra(content_type, metadata) or None)

    def list(self, prefix: str, recursive: bool) -> tuple[list[tuple[str, int]], list[str]]:
        """(objects as (key, size), sub-prefixes) under `prefix`, keys relative to `base`."""
        args: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.base + prefix}
        if not recursive:
            args["Delimiter"] = "/"
        objects, prefixes = [], []
        while True:
            page = self._call(prefix, self.s3.list_objects_v2, **args)
            objects += [(o["Key"][len(self.base):], int(o["Size"])) for o in page.get("Contents", [])]
            prefixes += [p["Prefix"][len(self.base):] for p in page.get("CommonPrefixes", [])]
            if not page.get("IsTruncated"):
                return objects, prefixes
            args["ContinuationToken"] = page["NextContinuationToken"]

    def _call(self, key: str, operation: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return operation(*args, **kwargs)
        except Exception as exc:
            response = getattr(exc, "response", None) or {}
            code = str(response.get("Error", {}).get("Code", ""))
            status = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code in _MISSING or status == "404":
                raise MetaflowS3NotFound(f"{self.url(key)} does not exist.") from None
            if code in _DENIED or status == "403":
                raise MetaflowS3AccessDenied(f"access to {self.url(key)} was denied ({code or status}); the task's "
                                             "role may write only its flow's part of the datastore bucket.") from None
            if type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
                raise MetaflowS3Exception(f"no AWS credentials to reach {self.url(key)}: configure them as for "
                                          "the AWS CLI, or use S3(run=self) in a local run.") from None
            raise

    @staticmethod
    def _info(response: dict[str, Any]) -> Info:
        modified = response.get("LastModified")
        meta = response.get("Metadata") or {}
        return Info(size=int(response.get("ContentLength", 0)),
                    last_modified=int(modified.timestamp()) if modified is not None else None,
                    content_type=response.get("ContentType"),
                    metadata=json.loads(meta[_USER_ATTRIBUTES]) if _USER_ATTRIBUTES in meta else None,
                    encryption=response.get("ServerSideEncryption"))


class LocalPlace:
    """Objects as files under `folder` (a run's `s3-data/` in the local store); content type
    and metadata, when given, in a JSON file beside it under `info_folder`."""

    def __init__(self, folder: str, info_folder: str) -> None:
        from runtime.stores.blobs import LocalBlobStore

        self.folder, self.info_folder = os.path.abspath(folder), os.path.abspath(info_folder)
        self._blobs, self._infos = LocalBlobStore(self.folder), LocalBlobStore(self.info_folder)

    def url(self, key: str) -> str:
        return "file://" + (os.path.join(self.folder, *key.split("/")) if key else self.folder + "/")

    def _path(self, key: str) -> str:
        try:
            return self._blobs.path(key)
        except ValueError:
            raise MetaflowS3URLException(f"{key!r} is not a key an S3 client takes (no leading '/', no '..').") from None

    def get(self, key: str, dest: str, byte_range: tuple[int | None, int | None] | None = None) -> Info:
        path = self._path(key)
        if not os.path.isfile(path):
            raise MetaflowS3NotFound(f"{self.url(key)} does not exist.")
        info = self.head(key)
        assert info is not None
        if byte_range is None:
            shutil.copyfile(path, dest)
            return info
        start, length = _resolve_range(info.size, *byte_range)
        with open(path, "rb") as src, open(dest, "wb") as out:
            src.seek(start)
            out.write(src.read(length))
        return Info(**{**info.__dict__, "range_total": info.size, "range_offset": start})

    def head(self, key: str) -> Info | None:
        path = self._path(key)
        if not os.path.isfile(path):
            return None
        stat = os.stat(path)
        extra: dict[str, Any] = {}
        try:
            extra = json.loads(self._infos.get(key + ".json"))
        except (KeyError, FileNotFoundError, ValueError):
            pass
        return Info(size=stat.st_size, last_modified=int(stat.st_mtime), content_type=extra.get("content_type"),
                    metadata=extra.get("metadata"))

    def put_bytes(self, key: str, data: bytes, content_type: str | None, metadata: dict[str, Any] | None) -> None:
        self._path(key)
        self._blobs.put(key, data)
        self._put_info(key, content_type, metadata)

    def put_file(self, key: str, path: str, content_type: str | None, metadata: dict[str, Any] | None) -> None:
        self._path(key)
        with open(path, "rb") as src:
            self._blobs.write_with(key, lambda handle: shutil.copyfileobj(src, handle, 8 << 20))
        self._put_info(key, content_type, metadata)

    def _put_info(self, key: str, content_type: str | None, metadata: dict[str, Any] | None) -> None:
        if content_type or metadata:
            self._infos.put(key + ".json", json.dumps({"content_type": content_type, "metadata": metadata}).encode())
        elif os.path.exists(os.path.join(self.info_folder, *f"{key}.json".split("/"))):
            os.remove(os.path.join(self.info_folder, *f"{key}.json".split("/")))  # an overwrite drops the old info

    def list(self, prefix: str, recursive: bool) -> tuple[list[tuple[str, int]], list[str]]:
        objects: list[tuple[str, int]] = []
        prefixes: set[str] = set()
        for key in self._blobs.list(prefix) if os.path.isdir(self.folder) else []:
            rest = key[len(prefix):]
            if not recursive and "/" in rest:
                prefixes.add(prefix + rest.split("/", 1)[0] + "/")
            else:
                objects.append((key, os.path.getsize(self._blobs.path(key))))
        return objects, sorted(prefixes)


def _extra(content_type: str | None, metadata: dict[str, Any] | None) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if content_type:
        extra["ContentType"] = content_type
    if metadata:
        extra["Metadata"] = {_USER_ATTRIBUTES: json.dumps(metadata)}
    return extra


def _range_header(offset: int | None, length: int | None) -> str:
    if length is not None and length < 0:
        return f"bytes=-{-length}"  # the last -length bytes
    start = offset or 0
    return f"bytes={start}-" if length is None else f"bytes={start}-{start + length - 1}"


def _resolve_range(size: int, offset: int | None, length: int | None) -> tuple[int, int]:
    if length is not None and length < 0:
        return max(0, size + length), min(size, -length)
    start = min(offset or 0, size)
    return start, (size - start) if length is None else max(0, min(length, size - start))
