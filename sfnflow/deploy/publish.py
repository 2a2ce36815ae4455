"""Publish a stack's file assets the way the CDK CLI does: read `<stack>.assets.json`, upload each
file to its destination unless an object is already at that (content-addressed) key."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from .errors import DeployError

__all__ = ["PublishedAsset", "publish_assets"]


@dataclass(frozen=True)
class PublishedAsset:
    name: str
    bucket: str
    key: str
    uploaded: bool  # False: the same content was already there


def _fill(text: str, account: str, region: str) -> str:
    return (text.replace("${AWS::AccountId}", account).replace("${AWS::Region}", region)
            .replace("${AWS::Partition}", "aws"))


def publish_assets(manifest_path: str, s3: Any, account: str, region: str,
                   include_templates: bool = False) -> list[PublishedAsset]:
    """Upload the manifest's file assets (the code package; templates only if asked).

    Raises:
        DeployError: the manifest has Docker image assets (sfnflow builds none), or a
            destination bucket is missing (the datastore stack is not deployed).
    """
    with open(manifest_path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    if manifest.get("dockerImages"):
        raise DeployError("the stack has container image assets, which sfnflow cannot publish.")
    base = os.path.dirname(manifest_path)
    published = []
    for asset_id, asset in sorted(manifest.get("files", {}).items()):
        source = asset["source"]
        if source.get("path", "").endswith(".template.json") and not include_templates:
            continue
        path = os.path.join(base, source["path"])
        for dest in asset["destinations"].values():
            bucket, key = _fill(dest["bucketName"], account, region), _fill(dest["objectKey"], account, region)
            published.append(PublishedAsset(asset.get("displayName", asset_id), bucket, key,
                                            _upload(s3, bucket, key, path, source.get("packaging", "file"))))
    return published


def _upload(s3: Any, bucket: str, key: str, path: str, packaging: str) -> bool:
    import botocore.exceptions as bx

    try:
        s3.head_object(Bucket=bucket, Key=key)
        return False  # content-addressed: same key, same bytes
    except bx.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code not in ("404", "NoSuchKey", "NotFound"):
            if code in ("403", "AccessDenied"):
                raise DeployError(f"no access to s3://{bucket}/{key}: the deploying identity needs s3:GetObject "
                                  "and s3:PutObject on the datastore bucket.") from None
            raise
    if packaging != "file" or not os.path.isfile(path):
        raise DeployError(f"asset {path}: only single-file assets are supported (got {packaging!r}).")
    try:
        with open(path, "rb") as fh:
            s3.put_object(Bucket=bucket, Key=key, Body=fh.read())
    except bx.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            raise DeployError(f"the bucket {bucket} does not exist: deploy the datastore stack first "
                              "(sfnflow deploy does it for you).") from None
        raise
    return True
