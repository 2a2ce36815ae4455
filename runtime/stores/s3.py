"""BlobStore on S3: the artifact store's bytes in the cloud.

Keys are the same `/`-separated paths the local store uses, under an optional prefix, so
`ArtifactStore` (content addressing, indexes, logs) runs unchanged above it and the
layout in the bucket matches `.sfnflow/` on disk.

Atomicity: a PutObject is all-or-nothing and S3 is strongly read-after-write consistent
(since December 2020), so a reader sees the old object, the new one, or none; there are
no temporary keys to hide from `list`. One PutObject carries at most 5 GB; larger
artifacts would need a multipart upload (not done here).

`exists` uses HeadObject. Without s3:ListBucket on the bucket, S3 answers 403 rather
than 404 for a missing key; the deployed role gets ListBucket so that `exists` can say
"no". The boto3 client is injected or created on first use, never at import (this module
is on the Lambda cold-start path).

`expected_owner` (the account id, from SFNFLOW_BUCKET_OWNER in a deployed task) goes on
every call as ExpectedBucketOwner: the datastore bucket's name is predictable, and a
bucket of that name in someone else's account must not receive or serve artifacts.
"""
from __future__ import annotations

import threading
from typing import Any

__all__ = ["S3BlobStore"]

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class S3BlobStore:
    """BlobStore in one bucket, under `prefix` (`""` or a folder-like `a/b/`)."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None, *, page_size: int = 1000,
                 expected_owner: str = "") -> None:
        if not bucket:
            raise ValueError("S3BlobStore needs a bucket name")
        self.bucket = bucket
        self.expected_owner = expected_owner
        self._owner = {"ExpectedBucketOwner": expected_owner} if expected_owner else {}
        self.page_size = page_size  # ListObjectsV2 MaxKeys (S3 caps it at 1,000)
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client = client
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3BlobStore('s3://{self.bucket}/{self.prefix}')"

    def __getstate__(self) -> dict[str, Any]:
        # clients never cross processes
        return {"bucket": self.bucket, "prefix": self.prefix, "expected_owner": self.expected_owner}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["bucket"], state["prefix"],  # type: ignore[misc]
                      expected_owner=state.get("expected_owner", ""))

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = _make_client()
        return self._client

    def object_key(self, key: str) -> str:
        """The S3 object key of a blob key (same validation as the local store)."""
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid blob key {key!r}")
        return self.prefix + key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=bytes(data), **self._owner)

    def get(self, key: str) -> bytes:
        """The bytes at key; KeyError if there are none."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key), **self._owner)
        except Exception as exc:
            if _is_missing(exc):
                raise KeyError(key) from None
            raise
        body = response["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key), **self._owner)
        except Exception as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    def list(self, prefix: str) -> list[str]:
        """Keys under prefix (relative to the store, not the bucket), sorted."""
        if prefix.startswith("/") or ".." in prefix.split("/"):
            raise ValueError(f"invalid blob prefix {prefix!r}")
        full = self.prefix + prefix
        found: list[str] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": full, "MaxKeys": self.page_size, **self._owner}
        while True:
            page = self.client.list_objects_v2(**kwargs)
            found.extend(obj["Key"][len(self.prefix):] for obj in page.get("Contents", []))
            if not page.get("IsTruncated"):
                return sorted(found)
            kwargs["ContinuationToken"] = page["NextContinuationToken"]


def _make_client() -> Any:
    import boto3
    from botocore.config import Config

    # Standard retries: a wide foreach bursts PUTs under one prefix; S3 answers 503
    # SlowDown above ~3,500 PUT/s per prefix until it scales, and those must be retried.
    # Pool size: Lambda and Batch tasks are single-threaded, local readers may use threads.
    return boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 10},
                                            max_pool_connections=32))


def _is_missing(exc: BaseException) -> bool:
    """A 404 from S3, duck-typed so botocore need not be imported at import time."""
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in _MISSING_CODES or status == 404
