"""cdk-nag acknowledgements: each finding we accept, on the construct it is about, with why.

Acknowledgements are plain CDK metadata (`Validations.of(construct).acknowledge`, what
cdk-nag 3.x reads), so deploying never needs cdk-nag; the tests run its AwsSolutions pack.
"""
from __future__ import annotations

from constructs import IConstruct

__all__ = ["acknowledge", "acknowledge_findings"]


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Record that `rule` is accepted on `construct` (and its children), for `reason`."""
    from aws_cdk import Acknowledgment, Validations

    Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}" if "::" not in rule else rule, reason=reason))


def acknowledge_findings(construct: IConstruct, rule: str, findings: list[str], reason: str) -> None:
    """Accept individual findings of a rule that reports them one by one (IAM4, IAM5).

    cdk-nag matches these by exact id, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:...]`,
    so only the wildcards named here are accepted: a new one fails the nag test.
    """
    for finding in findings:
        acknowledge(construct, f"{rule}[{finding}]", reason)
