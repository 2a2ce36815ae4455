"""The flow of tests/client/test_s3.py, deployed: S3(run=self) in Lambda tasks writes to the
datastore bucket the task configuration names, and a notebook reads it back the same way."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from cloudrun_util import compiled
from tests.client.s3_checks import assert_s3_flow_results

CLIENT_TESTS = Path(__file__).resolve().parents[1] / "client"
S3_FLOW = str(CLIENT_TESTS / "flows" / "s3_flow.py")


def test_s3_run_self_writes_into_the_datastore_bucket(cloud: Any) -> None:
    from sfnflow.client import Flow, set_root, use_cloud

    result = cloud.run(cloud.deploy(S3_FLOW, compiled(S3_FLOW)[1]), "s3-run-1")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    listed = cloud.client("s3").list_objects_v2(Bucket=cloud.bucket, Prefix="S3Flow/s3-run-1/s3-data/")
    keys = sorted(o["Key"].split("/s3-data/")[1] for o in listed.get("Contents", []))
    assert keys == ["files/table.csv", "greeting.txt", "parts/0", "parts/1"]
    use_cloud(cloud.bucket, cloud.table, s3_client=cloud.client("s3"), dynamodb_client=cloud.client("dynamodb"))
    try:
        run = Flow("S3Flow")["s3-run-1"]
        assert run["start"].task.data.url == f"s3://{cloud.bucket}/S3Flow/s3-run-1/s3-data/greeting.txt"
        assert_s3_flow_results(run)  # the same results as the local run, read through S3(run=run)
    finally:
        set_root(None)
