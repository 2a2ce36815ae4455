"""The state machine's own run-status writes (sfn_compiler/asl/status.py)."""
from __future__ import annotations

from typing import Any

import pytest

from sfn_compiler.asl import arns, status
from sfn_compiler.contract import table_layout as layout
from sfn_compiler.compile import compile_flow
from sfn_compiler.dsl import FlowSpec, catch, step
from sfn_compiler.graph.builder import build_graph


def _format(intrinsic: str, *args: str) -> str:
    """Evaluate `States.Format('...{}...', ...)` with the given argument values."""
    template = intrinsic[len("States.Format('"):intrinsic.index("',")]
    return template.format(*args)


@pytest.mark.parametrize("state,error_path", [("SUCCEEDED", None), ("FAILED", "$.error")])
def test_the_status_write_addresses_the_run_item_the_store_reads(state: str, error_path: str | None) -> None:
    params = layout.run_status_update_parameters("TrainFlow", state, error_path=error_path)
    assert params["TableName"] == arns.metadata_table_placeholder().token
    key = params["Key"]
    assert _format(key[layout.PK]["S.$"], "run-7") == layout.run_pk("TrainFlow", "run-7")
    assert key[layout.SK] == {"S": layout.RUN_SK}
    values = params["ExpressionAttributeValues"]
    assert values[":gpk"] == {"S": layout.flow_gpk("TrainFlow")}
    started = layout.iso_ms(1714564800.123)
    assert _format(values[":gsk"]["S.$"], started, "run-7") == layout.created_key(1714564800.123, "run-7")
    assert params["ExpressionAttributeNames"]["#st"] == layout.ATTR_STATUS
    assert values[":st"] == {"S": state} and values[":running"] == {"S": layout.RUN_RUNNING}
    assert ("#err" in params["ExpressionAttributeNames"]) == (error_path is not None)


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
    assert ok["Parameters"] == layout.run_status_update_parameters("Foreachy", "SUCCEEDED")
    assert failed["Parameters"] == layout.run_status_update_parameters("Foreachy", "FAILED", error_path="$.error")
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
