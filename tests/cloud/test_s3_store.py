"""S3BlobStore under moto, and the unchanged ArtifactStore above it."""
from __future__ import annotations

import pickle
from typing import Any

import pytest

from runtime.stores.artifacts import ArtifactStore
from runtime.stores.base import BlobStore
from runtime.stores.s3 import S3BlobStore

BUCKET = "sfnflow-test-artifacts"  # conftest's bucket


def test_round_trip_under_prefix(blobs: S3BlobStore, s3: Any) -> None:
    assert isinstance(blobs, BlobStore)
    blobs.put("Flow/data/ab/abc", b"\x00bytes\xff")
    assert blobs.get("Flow/data/ab/abc") == b"\x00bytes\xff"
    assert blobs.exists("Flow/data/ab/abc")
    assert not blobs.exists("Flow/data/ab/abd")
    # The prefix is a folder in the bucket; keys stay relative to the store.
    assert s3.get_object(Bucket=BUCKET, Key="team/a/Flow/data/ab/abc")["Body"].read() == b"\x00bytes\xff"


def test_missing_key_is_key_error(blobs: S3BlobStore) -> None:
    with pytest.raises(KeyError):
        blobs.get("Flow/nothing")


def test_overwrite_is_whole(blobs: S3BlobStore) -> None:
    blobs.put("k/index.json", b"old" * 1000)
    blobs.put("k/index.json", b"new")
    assert blobs.get("k/index.json") == b"new"
    assert blobs.list("k/") == ["k/index.json"]  # no temporary keys, ever


def test_failed_put_leaves_old_value(blobs: S3BlobStore) -> None:
    blobs.put("k/v", b"old")
    with pytest.raises(TypeError):
        blobs.put("k/v", object())  # type: ignore[arg-type]
    assert blobs.get("k/v") == b"old"


def test_list_is_sorted_relative_and_paginated(s3: Any) -> None:
    store = S3BlobStore(BUCKET, prefix="p/", client=s3, page_size=4)
    other = S3BlobStore(BUCKET, prefix="q", client=s3)
    other.put("F/run/x", b"")
    names = [f"F/run/step/{i}/index.json" for i in range(11)]  # three ListObjectsV2 pages
    for name in names:
        store.put(name, b"{}")
    store.put("F/run2/step/0/index.json", b"{}")
    assert store.list("F/run/") == sorted(names)
    assert store.list("F/run") == sorted(names + ["F/run2/step/0/index.json"])
    assert store.list("G/") == []


@pytest.mark.parametrize("key", ["", "/abs", "a/../b"])
def test_invalid_keys(blobs: S3BlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        blobs.put(key, b"x")


def test_pickles_without_client(blobs: S3BlobStore) -> None:
    clone = pickle.loads(pickle.dumps(blobs))
    assert (clone.bucket, clone.prefix, clone._client) == (BUCKET, "team/a/", None)


def test_no_client_made_until_used(aws: None) -> None:
    store = S3BlobStore(BUCKET)
    assert store._client is None
    store.client.create_bucket(Bucket=BUCKET)  # made lazily, after the mock started
    store.put("a", b"1")
    assert store.get("a") == b"1"


class CountingBlobs:
    """Wraps a BlobStore and counts puts (a fake passed in, not a patch)."""

    def __init__(self, inner: S3BlobStore) -> None:
        self.inner, self.puts = inner, 0

    def put(self, key: str, data: bytes) -> None:
        self.puts += 1
        self.inner.put(key, data)

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def list(self, prefix: str) -> list[str]:
        return self.inner.list(prefix)


def test_artifact_store_over_s3_dedups(blobs: S3BlobStore) -> None:
    counting = CountingBlobs(blobs)
    first = ArtifactStore(counting)
    shas = first.save("Flow", {"a": list(range(500)), "b": list(range(500)), "c": "small"})
    assert shas["a"] == shas["b"]
    assert counting.puts == 2  # a and b are one value, stored once
    # A fresh store (a new Lambda container) finds the value in S3 and does not write it again.
    second = ArtifactStore(counting)
    assert second.save("Flow", {"again": list(range(500))})["again"] == shas["a"]
    assert counting.puts == 2
    assert second.load("Flow", shas["a"]) == list(range(500))
    assert len(blobs.list("Flow/data/")) == 2

    second.put_index("Flow", "r1", "start", "0", shas, {"attempt": 0})
    index = ArtifactStore(blobs).get_index("Flow", "r1", "start", "0")
    assert index is not None and index.artifacts == shas and index.meta == {"attempt": 0}
    assert ArtifactStore(blobs).get_index("Flow", "r1", "start", "1") is None
    second.put_log("Flow", "r1", "start", "0", 0, "stdout", b"hello\n")
    assert ArtifactStore(blobs).get_log("Flow", "r1", "start", "0", 0, "stdout") == b"hello\n"
    assert ArtifactStore(blobs).get_log("Flow", "r1", "start", "0", 0, "stderr") == b""
