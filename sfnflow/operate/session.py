"""The AWS session that operates a deployed flow: Region, endpoint and credentials, checked
up front so that a missing one is one sentence and nothing is started.

Region: --region, else AWS_REGION / AWS_DEFAULT_REGION / the AWS profile, else the Region
the flow was last deployed to (the laptop's deployments profile). Endpoint:
AWS_ENDPOINT_URL, else the emulator the flow was deployed to, if it was.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .errors import OperateError
from .profile import Deployment

__all__ = ["OperateTarget", "operate_target"]


@dataclass(frozen=True)
class OperateTarget:
    session: Any  # boto3.Session
    region: str
    endpoint: str | None
    account: str

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region, endpoint_url=self.endpoint)

    @property
    def where(self) -> str:
        return f"the emulator at {self.endpoint} ({self.region})" if self.endpoint else \
            f"AWS account {self.account} in {self.region}"


def operate_target(deployment: Deployment | None = None, region: str | None = None,
                   profile: str | None = None) -> OperateTarget:
    """Raises OperateError: unknown AWS profile, no Region, no credentials, endpoint unreachable."""
    import boto3
    import botocore.exceptions as bx

    env_region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    try:
        session = boto3.Session(profile_name=profile, region_name=region or env_region or None)
    except bx.ProfileNotFound:
        raise OperateError(f"there is no AWS profile named {profile!r}: check ~/.aws/config or drop --profile.") from None
    chosen = session.region_name or (deployment.region if deployment else None)
    if not chosen:
        raise OperateError("no AWS Region is set: pass --region (e.g. --region us-east-1) or set AWS_DEFAULT_REGION.")
    if session.get_credentials() is None:
        raise OperateError("no AWS credentials were found: run `aws configure` (or `aws sso login`), pass --profile, "
                           "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values for the emulator).")
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or (deployment.endpoint if deployment else None) or None
    try:
        sts = session.client("sts", region_name=chosen, endpoint_url=endpoint)
        account = str(sts.get_caller_identity()["Account"])
    except bx.EndpointConnectionError:
        if endpoint:
            raise OperateError(f"cannot reach {endpoint}: is `sfnflow emulator` running? Start it, or unset "
                               "AWS_ENDPOINT_URL to use AWS.") from None
        raise OperateError(f"cannot reach AWS in {chosen}: check the network.") from None
    except (bx.ClientError, bx.NoCredentialsError) as exc:
        raise OperateError(f"the AWS credentials were refused ({exc}): refresh them (e.g. `aws sso login`).") from None
    return OperateTarget(session=session, region=chosen, endpoint=endpoint, account=account)
