"""A failed child execution fails its Distributed Map, as in AWS (runtime/engine/patches/semantics.py).

AWS: with no ToleratedFailureCount / ToleratedFailurePercentage, one failed child fails the
Map Run and the Map state fails with States.ExceedToleratedFailureThreshold; Retry / Catch
on the Map see that error. moto 5.2.5 alone lets the Map state succeed.
"""
from __future__ import annotations

from typing import Any

import pytest
from player import Script, TaskPlayer, edited, example, with_states

from runtime.engine.patches import exceeds_tolerated_failures

THRESHOLD = "States.ExceedToleratedFailureThreshold"
N = 8  # items, all through the Distributed Map
MAP = "start.map.distributed"
FAIL_ITEM_3 = Script(fanout={"start": N}, distributed=True, fail_items={"double": ["3"]})


def _wide(**map_fields: Any) -> Any:
    flow = with_states(example("foreach"), handler={"Type": "Pass", "Parameters": {"error.$": "$.error"},
                                                    "End": True})
    return edited(flow, MAP, **map_fields) if map_fields else flow


def _run(engine: Any, player: TaskPlayer, flow: Any, run_id: str) -> tuple[Any, list[tuple[str, str, str]]]:
    player.script(run_id, FAIL_ITEM_3)
    events: list[tuple[str, str, str]] = []
    result = engine.run(flow, run_id=run_id, execution_input={"parameters": {}},
                        on_event=lambda kind, step, task, **info: events.append((kind, step, task)))
    return result, events


def test_one_failed_child_fails_the_execution_with_the_threshold_error(engine: Any, player: TaskPlayer) -> None:
    result, events = _run(engine, player, _wide(), "dmap-fail")
    assert result.status == "FAILED"
    assert result.error == THRESHOLD
    # The cause leads with the child's own error, then says which item and how many.
    assert result.cause.startswith("UserCodeError: double failed for item 3 ["), result.cause
    assert f"item 3 of Map state '{MAP}'" in result.cause and f"of {N} child executions" in result.cause
    assert ("failed", "double", "3") in events
    assert not any(step == "join" for _, step, _ in events)  # the join never ran
    assert result.history.by_type.get("MapRunStarted") == 1
    map_run_failed = [e for e in result.history.kept if str(e["type"]).endswith("MapRunFailed")]
    assert map_run_failed and map_run_failed[0]["mapRunFailedEventDetails"]["error"] == THRESHOLD


def test_a_catch_on_the_map_lets_the_flow_continue(engine: Any, player: TaskPlayer) -> None:
    catcher = {"ErrorEquals": [THRESHOLD], "ResultPath": "$.error", "Next": "handler"}
    result, _ = _run(engine, player, _wide(Catch=[catcher]), "dmap-catch")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    error = result.output["error"]
    assert error["Error"] == THRESHOLD
    assert error["Cause"].startswith("UserCodeError: double failed for item 3")


def test_a_retry_on_the_map_runs_the_map_run_again(engine: Any, player: TaskPlayer) -> None:
    retry = {"ErrorEquals": [THRESHOLD], "MaxAttempts": 1, "IntervalSeconds": 1}
    result, events = _run(engine, player, _wide(Retry=[retry]), "dmap-retry")
    assert result.status == "FAILED" and result.error == THRESHOLD
    assert events.count(("failed", "double", "3")) == 2
    assert result.history.by_type.get("MapRunStarted") == 2


@pytest.mark.parametrize("fields, status", [
    ({"ToleratedFailureCount": 1}, "SUCCEEDED"),
    ({"ToleratedFailurePercentage": 20.0}, "SUCCEEDED"),  # 1 of 8 = 12.5 %; moto parses only a decimal
    ({"ToleratedFailurePercentage": 10.0}, "FAILED"),
])
def test_tolerated_thresholds_are_honoured(engine: Any, player: TaskPlayer, fields: dict[str, Any], status: str) -> None:
    result, events = _run(engine, player, _wide(**fields), f"dmap-tol-{len(str(fields))}-{status}")
    assert result.status == status, (result.error, result.cause)
    assert ("failed", "double", "3") in events
    if status == "FAILED":
        assert result.error == THRESHOLD and "tolerated: ToleratedFailurePercentage 10" in result.cause
    else:
        assert ("succeeded", "join", "0") in events


def test_threshold_arithmetic() -> None:
    assert exceeds_tolerated_failures(1, 8, 0, 0.0)  # AWS's default: none tolerated
    assert not exceeds_tolerated_failures(0, 8, 0, 0.0)
    assert not exceeds_tolerated_failures(2, 8, 2, 0.0) and exceeds_tolerated_failures(3, 8, 2, 0.0)
    assert not exceeds_tolerated_failures(2, 8, 0, 25.0) and exceeds_tolerated_failures(3, 8, 0, 25.0)
    assert exceeds_tolerated_failures(3, 8, 5, 25.0)  # both set: exceeding either fails
    assert not exceeds_tolerated_failures(8, 8, 0, 100.0)  # 100 %: never fails
