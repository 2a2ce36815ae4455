"""A boto3 session for deploying, checked up front: credentials and a Region, or one clear sentence.

boto3 itself honours AWS_ENDPOINT_URL (botocore >= 1.31), which is how a deploy reaches
`sfnflow emulator` instead of AWS.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .errors import DeployError

__all__ = ["AwsTarget", "aws_session"]


@dataclass(frozen=True)
class AwsTarget:
    session: Any  # boto3.Session
    region: str
    account: str
    endpoint: str | None  # AWS_ENDPOINT_URL when deploying to an emulator

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region)


def aws_session(region: str | None = None, profile: str | None = None) -> AwsTarget:
    """The session, Region and account a deploy goes to.

    Raises:
        DeployError: unknown profile, no credentials, no Region, or the account cannot be read.
    """
    import boto3
    import botocore.exceptions as bx

    try:
        session = boto3.Session(profile_name=profile, region_name=region or os.environ.get("AWS_REGION") or None)
    except bx.ProfileNotFound:
        raise DeployError(f"there is no AWS profile named {profile!r}: check ~/.aws/config or drop --profile.") from None
    if session.region_name is None:
        raise DeployError("no AWS Region is set: pass --region (e.g. --region us-east-1) or set AWS_REGION / AWS_DEFAULT_REGION.")
    if session.get_credentials() is None:
        raise DeployError("no AWS credentials were found: run `aws configure` (or `aws sso login`), pass "
                          "--profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    try:
        account = session.client("sts", region_name=session.region_name).get_caller_identity()["Account"]
    except bx.EndpointConnectionError as exc:
        where = f"the endpoint {endpoint} (AWS_ENDPOINT_URL)" if endpoint else "AWS"
        raise DeployError(f"cannot reach {where}: {exc}. Is `sfnflow emulator` running / is the network up?") from None
    except (bx.ClientError, bx.NoCredentialsError) as exc:
        raise DeployError(f"the AWS credentials were refused ({exc}): refresh them (e.g. `aws sso login`).") from None
    return AwsTarget(session=session, region=session.region_name, account=account, endpoint=endpoint)
