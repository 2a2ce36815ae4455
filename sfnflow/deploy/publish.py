"""Publish a stack's file assets the way the CDK CLI does: read `<stack>.assets.json`, upload each
file to its destination unless an object is already at that (content-addressed) key."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from cdk.config import CODE_PREFIX

from .code_lifecycle import mark_current
from .errors import DeployError
from .plan import AssetPlan

__all__ = ["PublishedAsset", "plan_assets", "publish_assets"]


@dataclass(frozen=True)
class PublishedAsset:
    name: str
    bucket: str
    key: str
    uploaded: bool  # False: the same content was already there


def _fill(text: str, account: str, region: str) -> str:
    return (text.replace("${AWS::AccountId}", account).replace("${AWS::Region}", region)
            .replace("${AWS::Partition}", "aws"))


def _file_assets(manifest_path: str, account: str, region: str,
                 include_templates: bool = False) -> list[tuple[str, str, str, str, str]]:
    """(name, bucket, key, local path, packaging) of each file asset destination in a manifest."""
    with open(manifest_path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    if manifest.get("dockerImages"):
        raise DeployError("the stack has container image assets, which sfnflow cannot publish.")
    base = os.path.dirname(manifest_path)
    found = []
    for asset_id, asset in sorted(manifest.get("files", {}).items()):
        source = asset["source"]
        if source.get("path", "").endswith(".template.json") and not include_templates:
            continue
        for dest in asset["destinations"].values():
            found.append((asset.get("displayName", asset_id), _fill(dest["bucketName"], account, region),
                          _fill(dest["objectKey"], account, region), os.path.join(base, source["path"]),
                          source.get("packaging", "file")))
    return found


def plan_assets(manifest_path: str, s3: Any, account: str, region: str) -> list[AssetPlan]:
    """Which file assets a deploy would upload (read-only: HeadObject on each)."""
    return [AssetPlan(name, bucket, key, not _exists(s3, bucket, key, account))
            for name, bucket, key, _, _ in _file_assets(manifest_path, account, region)]


def publish_assets(manifest_path: str, s3: Any, account: str, region: str,
                   include_templates: bool = False) -> list[PublishedAsset]:
    """Upload the manifest's file assets (the code package; templates only if asked).

    Every call names the account that must own the bucket (ExpectedBucketOwner): the
    datastore bucket's name is predictable. A package already there is not uploaded
    again, and loses a superseded tag it may have (code_lifecycle.py).

    Raises:
        DeployError: the manifest has Docker image assets (sfnflow builds none), or a
            destination bucket is missing (the datastore stack is not deployed).
    """
    published = []
    for name, bucket, key, path, packaging in _file_assets(manifest_path, account, region, include_templates):
        published.append(PublishedAsset(name, bucket, key, _upload(s3, bucket, key, path, packaging, account)))
    return published


def _exists(s3: Any, bucket: str, key: str, owner: str) -> bool:
    import botocore.exceptions as bx

    try:
        s3.head_object(Bucket=bucket, Key=key, ExpectedBucketOwner=owner)
        return True
    except bx.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("404", "NoSuchKey", "NotFound"):
            return False
        if code in ("403", "AccessDenied"):
            raise DeployError(f"no access to s3://{bucket}/{key}: the bucket must be in account {owner} and the "
                              "deploying identity needs s3:GetObject and s3:PutObject on it.") from None
        if code == "NoSuchBucket":
            return False
        raise


def _upload(s3: Any, bucket: str, key: str, path: str, packaging: str, owner: str) -> bool:
    import botocore.exceptions as bx

    if _exists(s3, bucket, key, owner):
        if key.startswith(CODE_PREFIX):
            mark_current(s3, bucket, key, owner)
        return False  # content-addressed: same key, same bytes
    if packaging != "file" or not os.path.isfile(path):
        raise DeployError(f"asset {path}: only single-file assets are supported (got {packaging!r}).")
    try:
        with open(path, "rb") as fh:
            s3.put_object(Bucket=bucket, Key=key, Body=fh.read(), ExpectedBucketOwner=owner)
    except bx.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            raise DeployError(f"the bucket {bucket} does not exist: deploy the datastore stack first "
                              "(sfnflow deploy does it for you).") from None
        raise
    return True
