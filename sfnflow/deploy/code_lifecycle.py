"""Code packages that no deployed flow uses any more expire; the ones in use never do.

Packages are content-addressed (`code/<sha256>.zip`) and may be shared (the same flow
deployed under two stack names, the boto3 bundle of every flow), so S3 cannot know
which are old. `sfnflow deploy` and `destroy` tell it: the package a flow stops using is
tagged `sfnflow-code=superseded` unless another stack's `CodeKey` output still names
it, and the datastore bucket's lifecycle rule (cdk/datastore_stack.py) expires tagged
packages after 30 days, long enough to roll back by redeploying the old code. A package
that is published again (a rollback) loses the tag.
"""
from __future__ import annotations

from typing import Any

from cdk.config import SUPERSEDED_TAG

__all__ = ["keys_in_use", "mark_current", "mark_superseded"]


def keys_in_use(cfn: Any, except_stack: str = "") -> set[str]:
    """Every `CodeKey` output of the Region's stacks (but `except_stack`)."""
    found: set[str] = set()
    for page in cfn.get_paginator("describe_stacks").paginate():
        for stack in page.get("Stacks", []):
            if stack.get("StackName") == except_stack or stack.get("StackStatus") == "DELETE_COMPLETE":
                continue
            found |= {o["OutputValue"] for o in stack.get("Outputs", []) if o.get("OutputKey") == "CodeKey"}
    return found


def mark_superseded(cfn: Any, s3: Any, bucket: str, key: str, owner: str, stack: str) -> bool:
    """Tag `key` for expiry unless a stack other than `stack` still uses it; True when tagged."""
    if not key or key in keys_in_use(cfn, except_stack=stack):
        return False
    name, value = SUPERSEDED_TAG
    s3.put_object_tagging(Bucket=bucket, Key=key, ExpectedBucketOwner=owner,
                          Tagging={"TagSet": [{"Key": name, "Value": value}]})
    return True


def mark_current(s3: Any, bucket: str, key: str, owner: str) -> None:
    """A package published again is in use: drop its superseded tag, if it has one."""
    tags = s3.get_object_tagging(Bucket=bucket, Key=key, ExpectedBucketOwner=owner).get("TagSet", [])
    if any((t["Key"], t["Value"]) == SUPERSEDED_TAG for t in tags):
        rest = [t for t in tags if t["Key"] != SUPERSEDED_TAG[0]]
        if rest:
            s3.put_object_tagging(Bucket=bucket, Key=key, ExpectedBucketOwner=owner, Tagging={"TagSet": rest})
        else:
            s3.delete_object_tagging(Bucket=bucket, Key=key, ExpectedBucketOwner=owner)
