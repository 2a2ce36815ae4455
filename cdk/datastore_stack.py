"""The account-wide datastore: one S3 bucket and one DynamoDB table for every flow.

Like Metaflow's datastore, all runs of all flows live in one place, so `runs`, the client
API and the console find them without knowing which stack a flow was deployed with. The
stack is deployed once per account and Region (`sfnflow deploy` does it on first use);
flow stacks import its names through CloudFormation exports, which also keeps it from
being deleted while any flow still uses it. Both resources are RETAINed: deleting the
stack never deletes data.
"""
from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sfn_compiler.asl.emit import MAP_RESULTS_PREFIX
from sfn_compiler.contract.table_layout import table_definition

from .config import (
    CODE_PREFIX,
    SCRATCH_DAYS,
    SUPERSEDED_CODE_DAYS,
    SUPERSEDED_TAG,
    TEMPLATES_PREFIX,
    DeployConfig,
)
from .nag import acknowledge

__all__ = ["DatastoreStack"]


class DatastoreStack(Stack):
    """S3 bucket + DynamoDB table, exported as `<stack>-BucketName` / `<stack>-TableName`."""

    def __init__(self, scope: Construct, config: DeployConfig, **kwargs: Any) -> None:
        super().__init__(scope, config.datastore_stack, stack_name=config.datastore_stack,
                         description="sfnflow datastore: artifacts (S3) and run metadata (DynamoDB) of every flow",
                         **kwargs)
        self.bucket = s3.Bucket(
            self, "Bucket",
            bucket_name=Fn.sub(config.bucket_name),
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,  # never auto_delete_objects: that is a custom resource
            lifecycle_rules=_lifecycle_rules(),
        )
        acknowledge(self.bucket, "AwsSolutions-S1",
                    "Server access logs would need a second bucket per account and cost per request; "
                    "CloudTrail data events can be enabled where access auditing is required.")
        self.table = _table(self)
        CfnOutput(self, "BucketName", value=self.bucket.bucket_name, export_name=config.bucket_export)
        CfnOutput(self, "TableName", value=self.table.table_name, export_name=config.table_export)


def _lifecycle_rules() -> list[s3.LifecycleRule]:
    """What the bucket forgets on its own: scratch that nothing reads again, and old code.

    Artifacts and run logs are kept: they are the runs' data. Code packages are
    content-addressed and shared, so only one `sfnflow deploy` tagged as no longer used by
    its flow (and by no other deployed stack) expires.
    """
    scratch = Duration.days(SCRATCH_DAYS)
    return [
        s3.LifecycleRule(id="map-results", prefix=MAP_RESULTS_PREFIX, expiration=scratch),
        s3.LifecycleRule(id="deploy-templates", prefix=TEMPLATES_PREFIX, expiration=scratch),
        s3.LifecycleRule(id="superseded-code", prefix=CODE_PREFIX, tag_filters=dict([SUPERSEDED_TAG]),
                         expiration=Duration.days(SUPERSEDED_CODE_DAYS)),
        s3.LifecycleRule(id="abandoned-uploads", abort_incomplete_multipart_upload_after=scratch),
    ]


def _table(scope: Construct) -> dynamodb.Table:
    """The metadata table, key for key as sfn_compiler.contract.table_layout.table_definition says."""
    spec = table_definition("unused")
    types = {a["AttributeName"]: a["AttributeType"] for a in spec["AttributeDefinitions"]}

    def attribute(name: str) -> dynamodb.Attribute:
        return dynamodb.Attribute(name=name, type=dynamodb.AttributeType(_ATTR_TYPES[types[name]]))

    def keys(schema: list[dict[str, str]]) -> dict[str, dynamodb.Attribute]:
        out = {}
        for key in schema:
            out["partition_key" if key["KeyType"] == "HASH" else "sort_key"] = attribute(key["AttributeName"])
        return out

    table = dynamodb.Table(
        scope, "Table",
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,  # on-demand: nothing to pay while idle
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True),
        removal_policy=RemovalPolicy.RETAIN,
        **keys(spec["KeySchema"]),
    )
    for index in spec.get("GlobalSecondaryIndexes", []):
        if index["Projection"]["ProjectionType"] != "ALL":  # the table definition changed: mirror it here
            raise AssertionError(f"index {index['IndexName']}: only ProjectionType ALL is mirrored")
        table.add_global_secondary_index(index_name=index["IndexName"], **keys(index["KeySchema"]),
                                         projection_type=dynamodb.ProjectionType.ALL)
    return table


_ATTR_TYPES = {"S": "STRING", "N": "NUMBER", "B": "BINARY"}
