"""A Distributed Map child that fails: the run record names the step's own error.

AWS fails the parent's Map with `States.ExceedToleratedFailureThreshold`, which says
nothing about what failed; each child therefore records its failure on the run first
(sfn_compiler/asl/status.py, add_child_failure_record), and the parent's later FAILED
write loses its condition.
"""
from __future__ import annotations

import json
from typing import Any

from cloudrun_util import FLOWS, compiled, with_inline_max

DIST_FAIL = str(FLOWS / "dist_fail.py")


def test_the_run_record_keeps_the_failing_childs_error(cloud: Any) -> None:
    flow = with_inline_max(compiled(DIST_FAIL)[1], 2)  # 4 items: the Distributed Map
    result = cloud.run(cloud.deploy(DIST_FAIL, flow), "dist-fail-1")
    assert result.status == "FAILED"
    item = cloud.client("dynamodb").get_item(TableName=cloud.table, ConsistentRead=True, Key={
        "pk": {"S": "RUN#DistFailCloudFlow#dist-fail-1"}, "sk": {"S": "RUN"}})["Item"]
    assert item["status"] == {"S": "FAILED"}
    error = json.loads(item["sfn_error"]["S"])
    assert error["Error"] == "UserCodeError", error
    assert "item 2 is bad on purpose" in error["Cause"]
