"""Retry, Catch, error names, TimeoutSeconds killing a worker, crashes, Batch routing."""
from __future__ import annotations

import os
import time
from typing import Any

from shapes import MODEL, batch_task, task

from sfn_compiler.asl import states as S


def _flow(*states: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"StartAt": states[0][0], "States": dict(states)}


def test_user_error_name_reaches_the_execution(engine: Any) -> None:
    failed: list[dict[str, Any]] = []
    asl = _flow(("start", task("start", "fail_hard", start=True)), ("fail_hard", task("fail_hard", None)))
    result = engine.run(asl, model=MODEL, run_id="err1", execution_input={"parameters": {}},
                        on_event=lambda kind, step, t, **info: kind == "failed" and failed.append(info))
    assert result.status == "FAILED"
    assert result.error == "UserCodeError"
    assert result.cause == "fail_hard failed on purpose"
    assert failed[0]["error"] == "UserCodeError" and result.task_failures == 1
    assert any(e["type"] == "TaskFailed" for e in result.history.kept)


def test_retry_on_error_name_runs_a_second_attempt(engine: Any) -> None:
    retry = {"ErrorEquals": ["UserCodeError"], "MaxAttempts": 2, "IntervalSeconds": 60, "BackoffRate": 1}
    attempts: list[int] = []
    asl = _flow(("start", task("start", "fail_once", start=True)),
                ("fail_once", task("fail_once", None, Retry=[retry])))
    t0 = time.monotonic()
    result = engine.run(asl, model=MODEL, run_id="retry1", execution_input={"parameters": {}},
                        on_event=lambda kind, step, t, **i: step == "fail_once" and kind == "started"
                        and attempts.append(i["attempt"]))
    assert result.status == "SUCCEEDED", result.cause
    assert attempts == [0, 1]  # $$.State.RetryCount reaches the envelope
    assert time.monotonic() - t0 < 5  # fast_retries skipped the 60 s interval


def test_catch_routes_to_handler_with_error_and_cause(engine: Any) -> None:
    catcher = {"ErrorEquals": ["UserCodeError"], "ResultPath": "$.error", "Next": "handler"}
    probe = {"Type": "Pass", "Parameters": {"error.$": "$.error"}, "End": True}
    asl = _flow(("start", task("start", "fail_hard", start=True)),
                ("fail_hard", task("fail_hard", "end", Catch=[catcher])),
                ("handler", probe), ("end", task("end", None)))
    result = engine.run(asl, model=MODEL, run_id="catch1", execution_input={"parameters": {}})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"error": {"Error": "UserCodeError", "Cause": "fail_hard failed on purpose"}}


def test_timeout_kills_the_sleeping_worker_and_keeps_capacity(engine: Any) -> None:
    catcher = {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "after"}
    pids: list[int] = []
    asl = _flow(("start", task("start", "sleep", start=True)),
                ("sleep", task("sleep", "after", TimeoutSeconds=1, Catch=[catcher])),
                ("after", task("pid", None, ResultSelector={"pid.$": "$.Payload.pid"}, ResultPath="$.w")))
    spawned = engine.pool.spawned
    t0 = time.monotonic()
    result = engine.run(asl, model=MODEL, run_id="tmo1", execution_input={"parameters": {}})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["error"]["Error"] == "States.Timeout"
    assert time.monotonic() - t0 < 10  # the sleeping step (30 s) did not hold the run
    # its worker was killed and replaced (by the abandoned task's thread, just after)
    deadline = time.monotonic() + 3
    while engine.pool.spawned == spawned and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.pool.spawned == spawned + 1
    pids.append(result.output["w"]["pid"])
    # every worker is alive and answering after the kill
    again = engine.run(_flow(("pid", task("pid", None, start=False, ResultPath="$.w",
                                              ResultSelector={"pid.$": "$.Payload.pid"}))),
                       model=MODEL, run_id="tmo2", execution_input={"run": "tmo2", "p": "0"})
    assert again.status == "SUCCEEDED"
    os.kill(again.output["w"]["pid"], 0)


def test_crashed_worker_is_a_platform_error_and_is_replaced(engine: Any) -> None:
    asl = _flow(("start", task("start", "crash", start=True)), ("crash", task("crash", None)))
    spawned = engine.pool.spawned
    result = engine.run(asl, model=MODEL, run_id="crash1", execution_input={"parameters": {}})
    deadline = time.monotonic() + 3
    while engine.pool.spawned == spawned and time.monotonic() < deadline:
        time.sleep(0.01)
    assert result.status == "FAILED"
    assert result.error == "PlatformError"
    assert engine.pool.spawned == spawned + 1


def test_batch_sync_task_is_routed_to_a_worker(engine: Any) -> None:
    asl = _flow(("start", task("start", "onbatch", start=True)), ("onbatch", batch_task("onbatch", "end")),
                ("end", task("end", None)))
    steps: list[str] = []
    result = engine.run(asl, model=MODEL, run_id="batch1", execution_input={"parameters": {}},
                        on_event=lambda kind, step, t, **i: kind == "succeeded" and steps.append(
                            f"{step}:{i['compute']}"))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert steps == ["start:lambda", "onbatch:batch", "end:lambda"]


def test_failed_batch_job_fails_with_states_task_failed(engine: Any) -> None:
    asl = _flow(("start", task("start", "fail_b", start=True)), ("fail_b", batch_task("fail_b", None)))
    result = engine.run(asl, model=MODEL, run_id="batch2", execution_input={"parameters": {}})
    assert result.status == "FAILED"
    assert result.error == "States.TaskFailed"  # what AWS reports for a failed .sync job
    assert "UserCodeError: fail_b failed on purpose" in (result.cause or "")


def test_unknown_placeholder_is_a_clear_error(engine: Any) -> None:
    import pytest

    with pytest.raises(ValueError, match="Mystery"):
        engine.fill_placeholders({"StartAt": "x", "States": {"x": {"Type": "Pass", "Result": "${Mystery}",
                                                                     "End": True}}}, MODEL)
