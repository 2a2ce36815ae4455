"""Fixtures for the cloud runtime tests: moto (fake credentials, `mock_aws`), a bucket and
the metadata table created from `table_definition()`, and the S3 / DynamoDB stores.

Clients are created only after the mock has started, so no request can leave the machine.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest

BUCKET = "sfnflow-test-artifacts"
TABLE = "sfnflow-test-metadata"
REGION = "us-east-1"


@pytest.fixture
def bucket() -> str:
    return BUCKET


@pytest.fixture
def table() -> str:
    return TABLE


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
                        "AWS_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield


@pytest.fixture
def s3(aws: None) -> Any:
    import boto3

    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def ddb(aws: None) -> Any:
    import boto3

    from sfn_compiler.contract.table_layout import table_definition

    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(**table_definition(TABLE))
    return client


@pytest.fixture
def blobs(s3: Any) -> Any:
    from runtime.stores.s3 import S3BlobStore

    return S3BlobStore(BUCKET, prefix="team/a", client=s3)


@pytest.fixture
def meta(ddb: Any) -> Any:
    from runtime.stores.dynamodb import DynamoMetadataStore

    return DynamoMetadataStore(TABLE, client=ddb)
