"""The state machine's own run-status writes (sfn_compiler/asl/status.py)."""
from __future__ import annotations

from typing import Any

import pytest

from runtime.stores import dynamo_keys
from sfn_compiler.asl import arns, status
from sfn_compiler.compile import compile_flow
from sfn_compiler.dsl import FlowSpec, catch, step
from sfn_compiler.graph.builder import build_graph


@pytest.mark.parametrize("state,error_path", [("SUCCEEDED", None), ("FAILED", "$.error")])
def test_key_shape_equals_the_runtime_one(state: str, error_path: str | None) -> None:
    ours = status.run_status_update_parameters("TrainFlow", state, error_path=error_path)
    theirs = dynamo_keys.run_status_update_parameters("TrainFlow", state, error_path=error_path)
    assert ours == theirs
    assert ours["TableName"] == dynamo_keys.TABLE_PLACEHOLDER == arns.metadata_table_placeholder().token


def test_key_constants_equal_the_runtime_ones() -> None:
    assert (status.PK, status.SK, status.GPK, status.GSK, status.RUN_SK) == (
        dynamo_keys.PK, dynamo_keys.SK, dynamo_keys.GPK, dynamo_keys.GSK, dynamo_keys.RUN_SK)
    params = status.run_status_update_parameters("F", "SUCCEEDED")
    assert params["ExpressionAttributeValues"][":gpk"] == {"S": dynamo_keys.flow_gpk("F")}
    assert params["Key"][status.PK]["S.$"] == "States.Format('RUN#F#{}', $$.Execution.Name)"
    assert dynamo_keys.run_pk("F", "{}") == "RUN#F#{}"


class Foreachy(FlowSpec):
    @step
    def start(self):
        self.xs = [1, 2]
        self.next(self.body, foreach="xs")

    @catch(var="oops")
    @step
    def body(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass


def _catchers(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in state.get("Catch", []) if c["Next"] == status.FAILED]


def test_every_top_level_state_that_can_fail_is_caught_into_run_failed() -> None:
    flow = compile_flow(build_graph(Foreachy))
    states = flow.asl["States"]
    for name, state in states.items():
        if state["Type"] in ("Task", "Parallel", "Map") and name not in (status.SUCCEEDED, status.FAILED):
            assert _catchers(state) == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                                         "Next": status.FAILED}], name
    # Inside a Map, failures propagate to the Map state: no run catcher there.
    body = states["start.map"]["ItemProcessor"]["States"]
    assert all(not _catchers(s) for s in body.values())
    assert [c["Next"] for c in body["body"]["Catch"]] == ["body.catch"]
    assert "MetadataTable" in [p.name for p in flow.model.placeholders]


def test_status_states_write_then_succeed_or_reraise() -> None:
    states = compile_flow(build_graph(Foreachy)).asl["States"]
    assert states["end"]["Next"] == status.SUCCEEDED
    ok, failed = states[status.SUCCEEDED], states[status.FAILED]
    assert ok["Resource"] == failed["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    assert ok["Parameters"] == status.run_status_update_parameters("Foreachy", "SUCCEEDED")
    assert failed["Parameters"] == status.run_status_update_parameters("Foreachy", "FAILED", error_path="$.error")
    assert ok["ResultPath"] is None and ok["Next"] == status.DONE
    # Losing the race to an earlier terminal status is fine: carry on.
    assert ok["Catch"] == [{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": None,
                            "Next": status.DONE}]
    assert [c["ErrorEquals"] for c in failed["Catch"]] == [["DynamoDB.ConditionalCheckFailedException"],
                                                          ["States.ALL"]]
    assert all(c["Next"] == status.RAISE for c in failed["Catch"]) and failed["Next"] == status.RAISE
    # The original error is re-raised, and a failed status write does not overwrite it.
    assert failed["Catch"][1]["ResultPath"] != "$.error"
    assert states[status.RAISE] == {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}
    assert states[status.DONE] == {"Type": "Succeed"}
