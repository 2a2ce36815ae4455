"""Every S3 call a task or a deploy makes names the account that must own the bucket.

The datastore bucket's name is predictable (`sfnflow-datastore-<account>-<region>`), so
without ExpectedBucketOwner a bucket of that name in another account could receive
artifacts or serve code. moto does not check the owner, so these tests record the calls
a fake client receives.
"""
from __future__ import annotations

import io
import json
from typing import Any

from runtime.stores.s3 import S3BlobStore


class _Body(io.BytesIO):
    pass


class RecordingS3:
    """Just enough of an S3 client, keeping every call's arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.objects: dict[str, bytes] = {}

    def _record(self, name: str, kwargs: dict[str, Any]) -> None:
        self.calls.append((name, kwargs))

    def put_object(self, **kwargs: Any) -> dict[str, Any]:
        self._record("put_object", kwargs)
        self.objects[kwargs["Key"]] = bytes(kwargs["Body"])
        return {}

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        self._record("get_object", kwargs)
        return {"Body": _Body(self.objects[kwargs["Key"]])}

    def head_object(self, **kwargs: Any) -> dict[str, Any]:
        self._record("head_object", kwargs)
        if kwargs["Key"] not in self.objects:
            import botocore.exceptions as bx

            raise bx.ClientError({"Error": {"Code": "404"}, "ResponseMetadata": {"HTTPStatusCode": 404}}, "HeadObject")
        return {}

    def list_objects_v2(self, **kwargs: Any) -> dict[str, Any]:
        self._record("list_objects_v2", kwargs)
        return {"Contents": [{"Key": k} for k in sorted(self.objects)], "IsTruncated": False}

    def get_object_tagging(self, **kwargs: Any) -> dict[str, Any]:
        self._record("get_object_tagging", kwargs)
        return {"TagSet": []}


def test_the_artifact_store_names_the_owner_on_every_call() -> None:
    s3 = RecordingS3()
    store = S3BlobStore("bucket", client=s3, expected_owner="111122223333")
    store.put("F/data/ab/abc", b"x")
    assert store.get("F/data/ab/abc") == b"x"
    assert store.exists("F/data/ab/abc") and not store.exists("F/missing")
    assert store.list("F/") == ["F/data/ab/abc"]
    assert s3.calls and all(kwargs.get("ExpectedBucketOwner") == "111122223333" for _, kwargs in s3.calls)


def test_a_deployed_task_reads_the_owner_from_its_environment() -> None:
    from runtime.lambda_handler import build_environment

    env = build_environment({"SFNFLOW_BUCKET": "b", "SFNFLOW_TABLE": "t", "SFNFLOW_FLOW_FILE": "f.py",
                             "SFNFLOW_BUCKET_OWNER": "111122223333"}, "lambda", root="/tmp",
                            s3_client=RecordingS3(), dynamodb_client=object())
    assert env.artifacts.blobs.expected_owner == "111122223333"


def test_publishing_names_the_owner(tmp_path: Any) -> None:
    from sfnflow.deploy.publish import publish_assets

    (tmp_path / "asset.zip").write_bytes(b"zip")
    manifest = tmp_path / "F.assets.json"
    manifest.write_text(json.dumps({"version": "1", "files": {"a": {
        "source": {"path": "asset.zip", "packaging": "file"},
        "destinations": {"d": {"bucketName": "sfnflow-datastore-${AWS::AccountId}-${AWS::Region}",
                               "objectKey": "code/abc.zip"}}}}}))
    s3 = RecordingS3()
    published = publish_assets(str(manifest), s3, "111122223333", "eu-west-1")
    assert [(p.bucket, p.key, p.uploaded) for p in published] == [
        ("sfnflow-datastore-111122223333-eu-west-1", "code/abc.zip", True)]
    assert [name for name, _ in s3.calls] == ["head_object", "put_object"]
    assert all(kwargs["ExpectedBucketOwner"] == "111122223333" for _, kwargs in s3.calls)
